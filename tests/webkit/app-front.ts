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
	/** The paths asked for so far, in order (query left off). */
	requested: string[];
	close(): Promise<void>;
}

export async function startAppFront(appUrl: string): Promise<AppFront> {
	const target = new URL(appUrl);
	let offline = false;
	const requested: string[] = [];
	const sockets = new Set<Socket>();
	const server = http.createServer((req, res) => {
		requested.push(req.url?.split('?')[0] ?? '');
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
		requested,
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
