// A front for the app's static server that a test can take off the network: classic
// WebDriver has no offline switch (Playwright's setOffline), so "offline" here means the
// app's origin refuses every connection, as it does when the device has no network.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export interface AppFront {
	url: string;
	/** From now on every connection is dropped (true) or forwarded again (false). */
	setOffline(offline: boolean): void;
	/** Answers 404 for this path from now on (undefined: nothing), as a host without that file would. */
	withhold(path: string | undefined): void;
	close(): Promise<void>;
}

export async function startAppFront(appUrl: string): Promise<AppFront> {
	const target = new URL(appUrl);
	let offline = false;
	let withheld: string | undefined;
	const sockets = new Set<Socket>();
	const server = http.createServer((req, res) => {
		if (withheld !== undefined && req.url?.split('?')[0] === withheld) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
			return;
		}
		const upstream = http.request(
			{ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			}
		);
		upstream.on('error', () => res.destroy());
		req.pipe(upstream);
	});
	server.on('connection', (socket) => {
		if (offline) return void socket.destroy();
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		withhold(path) {
			withheld = path;
		},
		setOffline(value) {
			offline = value;
			if (value) for (const socket of sockets) socket.destroy();
		},
		close: () => {
			for (const socket of sockets) socket.destroy();
			return new Promise((resolve) => server.close(() => resolve()));
		}
	};
}
