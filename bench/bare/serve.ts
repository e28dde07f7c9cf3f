// Serves the bare livekit-client page from the bench process: bench/bare/page.ts bundled
// with esbuild (a vite dependency) into a temp dir, and one tiny http server on loopback.
// Tokens are minted here with livekit-server-sdk, as the API server's GetChannelToken does.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { AccessToken } from 'livekit-server-sdk';
import type { StackInfo } from '../../scripts/stack/index.ts';

export interface BarePage {
	url: string;
	token(identity: string, room: string): Promise<string>;
	close(): Promise<void>;
}

export async function serveBarePage(stack: StackInfo): Promise<BarePage> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microclimate-bare-'));
	await build({
		entryPoints: [path.join(import.meta.dirname, 'page.ts')],
		bundle: true,
		format: 'esm',
		target: 'es2022',
		minify: true,
		outfile: path.join(dir, 'page.js'),
		logLevel: 'warning'
	});
	const html = '<!doctype html><meta charset="utf-8"><title>bare livekit-client</title><body><script type="module" src="/page.js"></script>';
	const js = fs.readFileSync(path.join(dir, 'page.js'));
	const server = http.createServer((req, res) => {
		if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
		else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
		async token(identity, room) {
			const at = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { identity, name: identity, ttl: 600 });
			at.addGrant({ room, roomJoin: true, canPublish: true, canSubscribe: true });
			return at.toJwt();
		},
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
