// CreateSession on the Redis store against the in-memory store: two API servers in this
// process, the same configuration but the store, signing in with pre-minted service tokens
// (minting at the PDS is not timed), calls interleaved so both see the same machine load.
// What the difference shows: the replay-cache SET NX and the rate-limit scripts, i.e. the
// round trips to Redis that a replicated deployment adds to every sign-in.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AtpAgent } from '@atproto/api';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { CREATE_SESSION_LXM } from '../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../src/lib/auth/service-did.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import { startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { startTestRedis } from '../server/store/testing-redis.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';

const ROUNDS = 150;

export async function storeLatencyRows(stack: StackInfo): Promise<Row[]> {
	const account = stack.accounts.find((a) => a.handle === 'alice.test');
	if (!account) throw new Error('no demo account alice.test');
	const agent = new AtpAgent({ service: stack.pds });
	await agent.login({ identifier: account.handle, password: account.password });
	const mint = async () =>
		(await agent.com.atproto.server.getServiceAuth({ aud: serviceDidFor(stack.server), lxm: CREATE_SESSION_LXM, exp: Math.floor(Date.now() / 1000) + 120 })).data.token;

	const redis = await startTestRedis();
	const env = (extra: Record<string, string>) =>
		loadConfig({
			MICROCLIMATE_GRPC_PORT: '0',
			MICROCLIMATE_DEV: '1',
			MICROCLIMATE_PLC_URL: stack.plc,
			MICROCLIMATE_DEV_HANDLE_RESOLVER_URL: stack.pds,
			MICROCLIMATE_PUBLIC_HOSTS: new URL(stack.server).host,
			MICROCLIMATE_SIGN_IN_RATE_LIMIT: '100000', // the bench signs in far more than a person
			MICROCLIMATE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mc-bench-store-')),
			...extra
		});
	const quiet = () => undefined;
	const memory = await startServer(env({}), { log: quiet });
	const shared = await startServer(env({ MICROCLIMATE_REDIS_URL: redis.url }), { log: quiet });
	try {
		const signIn = (port: number) => {
			const auth = createClient(AuthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
			return async (token: string) => {
				const start = performance.now();
				await auth.createSession({ serviceToken: token });
				return performance.now() - start;
			};
		};
		const onMemory = signIn(memory.port);
		const onRedis = signIn(shared.port);
		await onMemory(await mint()); // warm: connections, DID document cache
		await onRedis(await mint());
		const mem: number[] = [];
		const red: number[] = [];
		for (let i = 0; i < ROUNDS; i++) {
			// Minted just before use (not timed): a token lives 2 minutes, the loop may take longer.
			const [a, b] = await Promise.all([mint(), mint()]);
			// Alternate which goes first, so neither always runs on a warmer cache.
			if (i % 2) {
				mem.push(await onMemory(a));
				red.push(await onRedis(b));
			} else {
				red.push(await onRedis(a));
				mem.push(await onMemory(b));
			}
		}
		const value = summarize(red);
		const baseline = summarize(mem);
		return [
			{
				figure: 'CreateSession on the Redis store',
				unit: 'ms',
				value,
				baseline,
				baselineLabel: 'in-memory store',
				goal: 'p50 <= 1.5x in memory',
				note: `added p50 ${(value.median - baseline.median).toFixed(2)} ms, p95 ${(value.p95 - baseline.p95).toFixed(2)} ms; ${ROUNDS} sign-ins each, direct gRPC`
			}
		];
	} finally {
		await Promise.all([memory.close(), shared.close()]);
		await redis.stop();
	}
}
