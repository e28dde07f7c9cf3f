// What the replicas must share to stay secure, and what Envoy must do for a rolling
// restart: a service token works once across all replicas, the sign-in rate limit counts
// across all replicas, and SIGTERM to each replica in turn drops no call.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { sendControl } from '../../scripts/stack/control.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { test, expect } from '../e2e/fixtures.ts';
import { scriptSignInThrough, serviceToken, zoneTransport } from './sign-in-script.ts';
import { replicaLog, type Zone } from './topology.ts';

const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const CREATE_SESSION = '/microclimate.auth.v1.AuthService/CreateSession';
const createSessions = (k: Zone, code: string) => replicaLog(stack, k).filter((l) => l.msg === 'rpc' && l.procedure === CREATE_SESSION && l.code === code).length;

async function codeOf(call: Promise<unknown>): Promise<Code | 'ok'> {
	try {
		await call;
		return 'ok';
	} catch (err) {
		return ConnectError.from(err).code;
	}
}

test('a service token redeemed through replica 1 is refused by replica 2 (replay)', async () => {
	const token = await serviceToken(stack, 'alice.test');
	const before = [createSessions(1, 'ok'), createSessions(2, 'unauthenticated')];
	const first = await createClient(AuthService, zoneTransport(stack, 1)).createSession({ serviceToken: token });
	expect(first.sessionToken).not.toBe('');
	const again = createClient(AuthService, zoneTransport(stack, 2)).createSession({ serviceToken: token });
	await expect(again).rejects.toMatchObject({ code: Code.Unauthenticated });
	// The replicas' own logs say who answered which.
	expect([createSessions(1, 'ok'), createSessions(2, 'unauthenticated')]).toEqual([before[0]! + 1, before[1]! + 1]);
});

test('the sign-in rate limit counts across replicas', async () => {
	// The stack's limit (server default, MICROCLIMATE_SIGN_IN_RATE_LIMIT) per client address a
	// minute. This client is 127.0.0.2 to Envoy, so nothing else in the run shares its budget.
	const limit = Number(process.env.MICROCLIMATE_SIGN_IN_RATE_LIMIT ?? 20);
	const clients = ([1, 2] as const).map((k) => createClient(AuthService, zoneTransport(stack, k, '127.0.0.2')));
	const codes: (Code | 'ok')[] = [];
	for (let i = 0; i < limit; i++) codes.push(await codeOf(clients[i % 2]!.createSession({ serviceToken: 'not-a-token' })));
	expect(codes.filter((c) => c === Code.ResourceExhausted), 'refused within the limit').toEqual([]);
	// Half went to each replica: a per-replica count would still allow these two.
	expect(await codeOf(clients[0]!.createSession({ serviceToken: 'not-a-token' }))).toBe(Code.ResourceExhausted);
	expect(await codeOf(clients[1]!.createSession({ serviceToken: 'not-a-token' }))).toBe(Code.ResourceExhausted);
});

test('a rolling restart (SIGTERM to each replica in turn) drops no call through Envoy', async () => {
	test.setTimeout(120_000);
	const session = await scriptSignInThrough(stack, 'bob.test', 1);
	// The main listener: round robin over both replicas, as people use it.
	// From 127.0.0.3: the garbage sign-ins below spend that address's budget, nobody else's.
	const transport = createGrpcWebTransport({ baseUrl: stack.server, httpVersion: '1.1', nodeOptions: { localAddress: '127.0.0.3' } });
	const auth = createClient(AuthService, transport);
	const channels = createClient(ChannelsService, transport);
	const headers = { authorization: `Bearer ${session.token}` };
	const dropped: string[] = [];
	let calls = 0;
	let running = true;
	// Answers of the server (even refusals) are fine; a call Envoy or a dying replica dropped is not.
	const dropCodes = [Code.Unavailable, Code.Internal, Code.Unknown, Code.Canceled, Code.DeadlineExceeded];
	const load = (async () => {
		while (running) {
			const results = await Promise.all([
				codeOf(auth.getServerInfo({}, { timeoutMs: 10_000 })),
				codeOf(channels.listChannels({}, { headers, timeoutMs: 10_000 })),
				// Not idempotent, so never retried by Envoy: a garbage token gets UNAUTHENTICATED or,
				// past the address's limit, RESOURCE_EXHAUSTED; both are answers.
				codeOf(auth.createSession({ serviceToken: 'not-a-token' }, { timeoutMs: 10_000 }))
			]);
			calls += results.length;
			for (const c of results) if (c !== 'ok' && dropCodes.includes(c)) dropped.push(Code[c]);
			await new Promise((r) => setTimeout(r, 20));
		}
	})();
	for (const k of ['api', 'api2']) {
		await sendControl(`${k}/stop`);
		await sendControl(`${k}/start`);
	}
	running = false;
	await load;
	console.log(`[scale] rolling restart of both replicas: ${calls} calls, ${dropped.length} dropped`);
	expect(calls).toBeGreaterThan(50);
	expect(dropped).toEqual([]);
});
