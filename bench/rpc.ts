// ChannelsService calls at 1, 16 and 64 concurrent clients, through Envoy (gRPC-Web, what
// browsers use) and straight to the API server (gRPC over HTTP/2): the difference is what
// Envoy and gRPC-Web cost.
import { createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { scriptSignIn } from './script-session.ts';
import { summarize } from './stats.ts';

const CONCURRENCY = [1, 16, 64];
const REQUESTS_PER_CLIENT = { 1: 300, 16: 40, 64: 12 } as Record<number, number>;

type Call = (client: ReturnType<typeof createClient<typeof ChannelsService>>, token: string) => Promise<unknown>;

const CALLS: Record<string, Call> = {
	ListChannels: (c, token) => c.listChannels({}, { headers: { authorization: `Bearer ${token}` } }),
	GetChannelToken: (c, token) => c.getChannelToken({ channelId: 'lobby' }, { headers: { authorization: `Bearer ${token}` } })
};

async function load(transport: Transport, token: string, call: Call, clients: number) {
	const client = createClient(ChannelsService, transport);
	await call(client, token); // warm the connection
	const latencies: number[] = [];
	const t0 = performance.now();
	await Promise.all(
		Array.from({ length: clients }, async () => {
			for (let i = 0; i < REQUESTS_PER_CLIENT[clients]!; i++) {
				const start = performance.now();
				await call(client, token);
				latencies.push(performance.now() - start);
			}
		})
	);
	const seconds = (performance.now() - t0) / 1000;
	return { summary: summarize(latencies), rps: latencies.length / seconds };
}

export async function rpcRows(stack: StackInfo): Promise<Row[]> {
	const viaEnvoy = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const direct = createGrpcTransport({ baseUrl: stack.api });
	const { token } = await scriptSignIn(stack, 'alice.test', direct);
	const rows: Row[] = [];
	for (const [name, call] of Object.entries(CALLS)) {
		for (const clients of CONCURRENCY) {
			const base = await load(direct, token, call, clients);
			const envoy = await load(viaEnvoy, token, call, clients);
			rows.push({
				figure: `RPC ${name}, ${clients} client${clients > 1 ? 's' : ''}, via Envoy`,
				unit: 'ms',
				value: envoy.summary,
				baseline: base.summary,
				baselineLabel: 'direct',
				goal: 'p50 <= 1.3x direct',
				note: `p99 ${envoy.summary.p99.toFixed(1)} ms (direct ${base.summary.p99.toFixed(1)}); ${envoy.rps.toFixed(0)} req/s (direct ${base.rps.toFixed(0)})`
			});
		}
	}
	return rows;
}
