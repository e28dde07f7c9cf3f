// Abuse checks: a hostile client talks to the real API server through the real Envoy
// (deploy/envoy.yaml) and gets a bounded, clear refusal each time, while a normal person
// from another address still signs in and lists channels. The server's resident memory is
// read before and after each case and printed. Every request goes to 127.0.0.1; each flood
// is bounded in count and time. Loopback is a /8, so "another address" is 127.0.0.x.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { rssMiB, startHostileStack } from './hostile-stack.ts';

let stack: Awaited<ReturnType<typeof startHostileStack>>;
const memory: string[] = [];
let rssAtStart = 0;

beforeAll(async () => {
	stack = await startHostileStack();
	rssAtStart = rssMiB(stack.pids.api);
}, 180_000); // a fresh clone installs Envoy first (as envoy-config.spec.ts allows)

afterAll(async () => {
	console.log(`abuse checks, RSS of the API server (Envoy):\n  ${memory.join('\n  ')}`);
	await stack?.stop();
});

/** Clients whose connections to Envoy come from `from` (a 127.0.0.x address). */
function clientsFrom(from: string) {
	const transport = createGrpcWebTransport({
		baseUrl: `http://127.0.0.1:${stack.listener}`,
		httpVersion: '1.1',
		useBinaryFormat: true,
		nodeOptions: { localAddress: from }
	});
	return { auth: createClient(AuthService, transport), channels: createClient(ChannelsService, transport) };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function outcome(call: Promise<unknown>): Promise<string> {
	try {
		await call;
		return 'ok';
	} catch (error) {
		const e = ConnectError.from(error);
		return `${Code[e.code]}: ${e.rawMessage}`;
	}
}

function tally(outcomes: string[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
	return counts;
}

/** Runs `work` and records the server's (and Envoy's) RSS around it. */
async function measured<T>(label: string, work: () => Promise<T>): Promise<T> {
	const before = { api: rssMiB(stack.pids.api), envoy: rssMiB(stack.pids.envoy) };
	const result = await work();
	const after = { api: rssMiB(stack.pids.api), envoy: rssMiB(stack.pids.envoy) };
	memory.push(`${label}: ${before.api.toFixed(0)} -> ${after.api.toFixed(0)} MiB (${before.envoy.toFixed(0)} -> ${after.envoy.toFixed(0)} MiB)`);
	// Bounded: no case may grow the server by more than this, whatever it sends.
	expect(after.api - rssAtStart).toBeLessThan(150);
	return result;
}

/** A normal person from 127.0.0.2: signs in, reads the server info, lists channels. */
async function normalUserWorks(): Promise<void> {
	const { auth, channels } = clientsFrom('127.0.0.2');
	const me = await stack.account();
	const session = await auth.createSession({ serviceToken: await stack.serviceToken(me) });
	expect(session.did).toBe(me.did);
	expect((await auth.getServerInfo({})).name).toBeTruthy();
	expect((await channels.listChannels({}, bearer(session.sessionToken))).channels.length).toBeGreaterThan(0);
}

const TOO_MANY = 'ResourceExhausted: too many sign-in attempts; wait a minute and try again';

describe('CreateSession floods', () => {
	it('one address sending 60 sign-ins, each naming another address in every forwarding header, is limited as one address', { timeout: 60_000 }, async () => {
		const { auth } = clientsFrom('127.0.0.1');
		const results = await measured('CreateSession flood, one address, spoofed headers', () =>
			Promise.all([
				...Array.from({ length: 60 }, (_, i) =>
					outcome(
						auth.createSession(
							{ serviceToken: 'not.a.token' },
							{ headers: { 'x-microclimate-client-address': `198.51.100.${i}`, 'x-forwarded-for': `203.0.113.${i}`, 'x-envoy-external-address': `192.0.2.${i}`, 'x-real-ip': `192.0.2.${i}` } }
						)
					)
				),
				normalUserWorks().then(() => 'normal user ok')
			])
		);
		console.log('flood from one address:', tally(results));
		expect(tally(results)).toEqual({ 'Unauthenticated: service token is not a JWT': 20, [TOO_MANY]: 40, 'normal user ok': 1 });
	});

	it('30 accounts signing in from one address: 20 get a session, the rest are refused', { timeout: 60_000 }, async () => {
		const { auth } = clientsFrom('127.0.0.3');
		const accounts = await Promise.all(Array.from({ length: 30 }, () => stack.account()));
		const tokens = await Promise.all(accounts.map((a) => stack.serviceToken(a)));
		const results = await measured('CreateSession flood, 30 DIDs from one address', () => Promise.all(tokens.map((serviceToken) => outcome(auth.createSession({ serviceToken })))));
		console.log('30 DIDs from one address:', tally(results));
		expect(tally(results)).toEqual({ ok: 20, [TOO_MANY]: 10 });
	});

	it('one account signing in from 25 addresses: 20 get a session, the rest are refused', { timeout: 60_000 }, async () => {
		const account = await stack.account();
		const results = await measured('CreateSession flood, one DID from 25 addresses', async () => {
			const out = [];
			for (let i = 1; i <= 25; i++) out.push(await outcome(clientsFrom(`127.0.1.${i}`).auth.createSession({ serviceToken: await stack.serviceToken(account) })));
			return out;
		});
		console.log('one DID from 25 addresses:', tally(results));
		expect(tally(results)).toEqual({ ok: 20, [TOO_MANY]: 5 });
	});

	it('behind one NAT address, renewals of existing sessions still succeed after new sign-ins used up the address budget', { timeout: 60_000 }, async () => {
		const { auth } = clientsFrom('127.0.0.50');
		const office = await Promise.all(Array.from({ length: 20 }, () => stack.account()));
		const sessions = await Promise.all(office.map(async (a) => auth.createSession({ serviceToken: await stack.serviceToken(a) })));
		const newcomer = await stack.account();
		expect(await outcome(auth.createSession({ serviceToken: await stack.serviceToken(newcomer) }))).toBe(TOO_MANY);
		const renewals = await Promise.all(
			office.slice(0, 10).map(async (a, i) => outcome(auth.createSession({ serviceToken: await stack.serviceToken(a) }, bearer(sessions[i]!.sessionToken))))
		);
		expect(renewals).toEqual(Array(10).fill('ok'));
		// The old session of another account does not make a renewal of this one.
		const thief = await outcome(auth.createSession({ serviceToken: await stack.serviceToken(newcomer) }, bearer(sessions[0]!.sessionToken)));
		expect(thief).toBe('Unauthenticated: the session to renew belongs to another account; sign in again');
	});
});

describe('WatchChannels', () => {
	it('200 streams from one account: 8 open, 192 get RESOURCE_EXHAUSTED; another person still lists channels', { timeout: 60_000 }, async () => {
		const { auth, channels } = clientsFrom('127.0.0.6');
		const account = await stack.account();
		const { sessionToken } = await auth.createSession({ serviceToken: await stack.serviceToken(account) });
		const abort = new AbortController();
		try {
			// Each stream stays open after its snapshot (until the abort below), as a tab's would.
			const opened = () =>
				new Promise<void>((resolve, reject) => {
					void (async () => {
						for await (const m of channels.watchChannels({}, { ...bearer(sessionToken), signal: abort.signal })) if (m.event.case === 'snapshot') resolve();
					})().catch(reject);
				});
			const firsts = await measured('200 WatchChannels streams, one DID', () => Promise.all(Array.from({ length: 200 }, () => outcome(opened()))));
			console.log('200 streams from one DID:', tally(firsts));
			expect(tally(firsts)).toEqual({ ok: 8, 'ResourceExhausted: this account already has 8 live channel lists open (tabs or devices); close one and try again': 192 });
			await normalUserWorks();
		} finally {
			abort.abort();
		}
	});
});

/** POSTs raw bytes as gRPC-Web; returns the HTTP status and the gRPC status/message. */
async function rawGrpcWeb(body: Uint8Array<ArrayBuffer>, contentType = 'application/grpc-web+proto') {
	const started = performance.now();
	const res = await fetch(`http://127.0.0.1:${stack.listener}/microclimate.auth.v1.AuthService/GetServerInfo`, {
		method: 'POST',
		headers: { 'content-type': contentType, 'x-grpc-web': '1' },
		body
	});
	const bytes = new Uint8Array(await res.arrayBuffer());
	let status = res.headers.get('grpc-status');
	let message = res.headers.get('grpc-message');
	// Not trailers-only: the status is in the trailer frame (flag 0x80) at the end of the body.
	for (let at = 0; status === null && at + 5 <= bytes.length; ) {
		const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
		if (bytes[at]! & 0x80) {
			const text = new TextDecoder().decode(bytes.subarray(at + 5, at + 5 + length));
			status = /grpc-status:\s*(\d+)/i.exec(text)?.[1] ?? null;
			message = /grpc-message:\s*(.*)/i.exec(text)?.[1]?.trim() ?? null;
		}
		at += 5 + length;
	}
	return { http: res.status, grpc: status === null ? undefined : Number(status) === 0 ? 'OK' : Code[Number(status)], message: message && decodeURIComponent(message), ms: Math.round(performance.now() - started) };
}

const frame = (flags: number, declaredLength: number, payload: number[] = []): Uint8Array<ArrayBuffer> => {
	const out = new Uint8Array(5 + payload.length);
	out[0] = flags;
	new DataView(out.buffer).setUint32(1, declaredLength);
	out.set(payload, 5);
	return out;
};

describe('malformed and oversized requests', () => {
	it('each malformed gRPC-Web frame gets a gRPC error with a message, at once', { timeout: 60_000 }, async () => {
		const cases = {
			'frame claiming 2 GiB': frame(0, 0x7fffffff),
			'truncated frame': frame(0, 10, [1, 2, 3]),
			'garbage protobuf': frame(0, 4, [0xff, 0xff, 0xff, 0xff]),
			'compressed flag without compression': frame(1, 3, [1, 2, 3]),
			'two messages for a unary call': new Uint8Array([...frame(0, 0), ...frame(0, 0)]),
			'content type gRPC-Web does not speak': frame(0, 0)
		};
		const results = await measured('malformed gRPC-Web frames', async () => {
			const out: Record<string, Awaited<ReturnType<typeof rawGrpcWeb>>> = {};
			for (const [name, body] of Object.entries(cases)) out[name] = await rawGrpcWeb(body, name.startsWith('content type') ? 'application/grpc-web+json' : undefined);
			return out;
		});
		console.log('malformed frames:', results);
		for (const r of Object.values(results)) {
			expect(r.http).toBe(200);
			expect(r.grpc).toBeDefined();
			expect(r.grpc).not.toBe('OK');
			expect(r.message).toBeTruthy();
		}
	});

	it('a 100 KiB message is refused by the server as RESOURCE_EXHAUSTED; a 4 MiB body by Envoy with 413', { timeout: 60_000 }, async () => {
		const { auth } = clientsFrom('127.0.0.8');
		const [big, huge] = await measured('oversized messages', async () => [
			await outcome(auth.createSession({ serviceToken: 'x'.repeat(100 * 1024) })),
			await rawGrpcWeb(frame(0, 4 * 1024 * 1024 - 5, Array(4 * 1024 * 1024 - 5).fill(0x0a)))
		] as const);
		console.log('oversized:', { big, huge });
		expect(big).toMatch(/^ResourceExhausted: .*larger than configured readMaxBytes 65536/);
		expect(huge.http).toBe(413);
		await normalUserWorks();
	});
});

describe('slow clients', () => {
	it('30 connections trickling their request headers are closed by Envoy after the 10 s header timeout; others are served meanwhile', { timeout: 60_000 }, async () => {
		const started = performance.now();
		const closedAfter = await measured('30 slowloris connections', () =>
			Promise.all(
				Array.from({ length: 30 }, () =>
					new Promise<{ ms: number; answer: string }>((resolve) => {
						const socket = connect({ host: '127.0.0.1', port: stack.listener, localAddress: '127.0.0.9' });
						let answer = '';
						socket.on('connect', () => socket.write('POST /microclimate.auth.v1.AuthService/GetServerInfo HTTP/1.1\r\nHost: localhost\r\n'));
						const trickle = setInterval(() => socket.writable && socket.write('X'), 1000);
						const giveUp = setTimeout(() => socket.destroy(), 20_000); // bounded even if Envoy never closes
						socket.on('data', (d) => (answer += d.toString('latin1')));
						socket.on('error', () => undefined);
						socket.on('close', () => {
							clearInterval(trickle);
							clearTimeout(giveUp);
							resolve({ ms: Math.round(performance.now() - started), answer: answer.split('\r\n')[0] ?? '' });
						});
					})
				).concat([normalUserWorks().then(() => ({ ms: Math.round(performance.now() - started), answer: 'normal user ok' }))])
			)
		);
		const slow = closedAfter.slice(0, 30);
		console.log('slowloris: closed after', Math.min(...slow.map((c) => c.ms)), '..', Math.max(...slow.map((c) => c.ms)), 'ms; answers', tally(slow.map((c) => c.answer)));
		expect(closedAfter[30]!.answer).toBe('normal user ok');
		expect(closedAfter[30]!.ms).toBeLessThan(9_000); // served while the slow ones still hung
		for (const c of slow) {
			expect(c.ms).toBeGreaterThanOrEqual(9_500);
			expect(c.ms).toBeLessThan(15_000);
			expect(c.answer).toMatch(/^HTTP\/1\.1 408/);
		}
	});
});
