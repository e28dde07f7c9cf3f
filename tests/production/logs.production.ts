// Issue 24 item 3: what the stack writes to its logs. A person signs in, joins a call and
// renews her session on the production rehearsal; then every log file of the stack is read:
// none holds a token she or the stack exchanged (the PDS's service tokens, the server's
// session JWTs, the LiveKit join token), the API server's lines are all JSON, and one
// sign-in's request id is in both Envoy's access log and the API server's log.
//
// How the renewal falls due: the server ends the list's stream with UNAUTHENTICATED when her
// session expires (15 min here); a route answers the reopened stream so once, as the server
// would, and the app renews for real (a fresh service token from the PDS, CreateSession with
// her current session as Bearer, through the front door and Envoy).
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, refuseWatchOnce, signIn } from './fixtures.ts';

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g;

type LogLine = Record<string, unknown>;

/** The JSON lines of a log file; other lines (Envoy's own log, on stderr) are left out. */
function jsonLines(file: string): LogLine[] {
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.filter((l) => l.startsWith('{'))
		.map((l) => JSON.parse(l) as LogLine);
}

test.describe('the stack\'s logs on the production rehearsal', () => {
	test('after a sign-in, a call and a renewal, no log holds a token, the server logs JSON, and one request id is in Envoy\'s log and the server\'s', async ({ browser, prod }) => {
		test.setTimeout(150_000);
		const context = await browser.newContext({ baseURL: prod.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
		const tokens = new Set<string>();
		const renewals: string[] = [];
		context.on('request', (req) => {
			if (!req.url().startsWith(prod.server) || req.method() !== 'POST') return;
			void req.allHeaders().then((h) => {
				const bearer = /^Bearer (.+)$/.exec(h['authorization'] ?? '')?.[1];
				if (!bearer) return;
				tokens.add(bearer);
				if (req.url().endsWith('/CreateSession')) renewals.push(bearer);
			});
		});
		context.on('response', (res) => {
			const url = res.url();
			if (!/getServiceAuth|\/CreateSession$|\/GetChannelToken$/.test(url)) return;
			// Service tokens (JSON from the PDS), session JWTs and LiveKit tokens (gRPC-Web bodies).
			void res.body().then((b) => b.toString('latin1').match(JWT)?.forEach((t) => tokens.add(t)), () => undefined);
		});

		const page = await context.newPage();
		await signIn(page, prod, 'alice');
		await expect(page.getByTestId('directory-status')).toHaveText('Live');

		// A call: the server hands out a LiveKit token, the browser joins over wss.
		await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
		await expect(page.getByTestId('call-status')).toHaveText('Connected', { timeout: 30_000 });

		// The renewal: the reopened stream is refused once as an expired session would be.
		const refusal = await refuseWatchOnce(context, prod.app);
		await page.reload();
		await expect.poll(() => renewals.length, { timeout: 30_000 }).toBeGreaterThan(0);
		await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
		expect(await refusal.stop()).toBe(1);

		// What the test saw: at least two service tokens (sign-in, renewal), two session JWTs
		// (the renewal's Bearer is the first) and the LiveKit token.
		expect(tokens.size).toBeGreaterThanOrEqual(4);
		const logFiles = fs.readdirSync(prod.logsDir).map((f) => path.join(prod.logsDir, f));
		expect(logFiles.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['api-server.log', 'envoy.log', 'livekit.log', 'caddy.log']));
		await expect
			.poll(() => jsonLines(path.join(prod.logsDir, 'api-server.log')).filter((l) => l.msg === 'rpc' && typeof l.procedure === 'string' && l.procedure.endsWith('/CreateSession')).length)
			.toBeGreaterThanOrEqual(2);
		for (const file of logFiles) {
			const text = fs.readFileSync(file, 'utf8');
			for (const token of tokens) expect(text.includes(token), `${path.basename(file)} holds a token the test saw (${token.slice(0, 12)}…)`).toBe(false);
		}

		// Every line of the API server is one JSON object with its level and component.
		const serverText = fs.readFileSync(path.join(prod.logsDir, 'api-server.log'), 'utf8');
		const serverLines = serverText.split('\n').filter((l) => l.trim() !== '');
		for (const line of serverLines) {
			expect(() => JSON.parse(line), `not JSON: ${line.slice(0, 200)}`).not.toThrow();
			expect(JSON.parse(line)).toMatchObject({ time: expect.any(String), level: expect.any(String), component: expect.any(String), msg: expect.any(String) });
		}

		// One sign-in followed from Envoy to the server by its request id.
		const signIns = serverLines.map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === 'rpc' && l.code === 'ok' && String(l.procedure).endsWith('/CreateSession'));
		// Envoy writes its access log through a buffer it flushes about once a second: read until the line is there.
		const followed = () => {
			const envoyIds = new Set(jsonLines(path.join(prod.logsDir, 'envoy.log')).filter((l) => String(l.path).endsWith('/CreateSession')).map((l) => l.request_id));
			return signIns.find((l) => typeof l.request_id === 'string' && envoyIds.has(l.request_id));
		};
		await expect.poll(followed, { message: `no CreateSession request id of the server's log (${signIns.map((l) => l.request_id).join(', ')}) is in Envoy's`, timeout: 10_000 }).toBeDefined();
		// The token check above read Envoy's log before its last flush: read it once more.
		const envoyText = fs.readFileSync(path.join(prod.logsDir, 'envoy.log'), 'utf8');
		for (const token of tokens) expect(envoyText.includes(token), `envoy.log holds a token the test saw (${token.slice(0, 12)}…)`).toBe(false);
		await context.close();
	});
});
