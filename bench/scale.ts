// The replicated stack (Redis, 2 API replicas, 2 LiveKit nodes, Envoy over both), against
// one replica of the same stack: Envoy's zone 1 door sends everything to replica 1, its main
// listener spreads over both. Same Envoy, same Redis, same machine: the ratio is what the
// second replica adds here (on 2 shared cores, where every process competes for the CPU).
// - GetChannelToken throughput at 64 concurrent clients.
// - Presence fan-out to 1,000 WatchChannels streams: spread over both replicas with the join
//   posted to replica 2 (so it crosses Redis pub/sub), against all on replica 1.
import { createClient, type Transport } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import { fanOut } from './presence.ts';
import type { Row } from './report.ts';
import { scriptSignIn } from './script-session.ts';
import { summarize } from './stats.ts';

const CLIENTS = 64;
const SECONDS = 8;

async function throughput(transport: Transport, token: string): Promise<{ rps: number; p50: number }> {
	const client = createClient(ChannelsService, transport);
	const headers = { authorization: `Bearer ${token}` };
	await client.getChannelToken({ channelId: 'lobby' }, { headers });
	const latencies: number[] = [];
	const until = performance.now() + SECONDS * 1000;
	const t0 = performance.now();
	await Promise.all(
		Array.from({ length: CLIENTS }, async () => {
			while (performance.now() < until) {
				const start = performance.now();
				await client.getChannelToken({ channelId: 'lobby' }, { headers });
				latencies.push(performance.now() - start);
			}
		})
	);
	return { rps: latencies.length / ((performance.now() - t0) / 1000), p50: summarize(latencies).median };
}

export async function scaleRows(stack: StackInfo): Promise<Row[]> {
	const zones = stack.replicas?.zones;
	if (!zones) throw new Error('the scale bench needs the replicated stack (replicas: 2)');
	const both = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const one = createGrpcWebTransport({ baseUrl: zones[0]!.server, useBinaryFormat: true });
	const { token } = await scriptSignIn(stack, 'alice.test', both);

	const single = await throughput(one, token);
	const double = await throughput(both, token);
	const few = await fanOut(stack, createClient(ChannelsService, one), token, 1000, undefined, zones[0]!.webhook);
	await new Promise((r) => setTimeout(r, 500)); // let the closed streams go
	const spread = await fanOut(stack, createClient(ChannelsService, both), token, 1000, undefined, zones[1]!.webhook);
	return [
		{
			figure: `GetChannelToken throughput, ${CLIENTS} clients, 2 API replicas`,
			unit: 'req/s',
			value: double.rps,
			baseline: single.rps,
			baselineLabel: '1 replica',
			note: `ratio ${(double.rps / single.rps).toFixed(2)}; p50 ${double.p50.toFixed(1)} ms (1 replica ${single.p50.toFixed(1)} ms); ${SECONDS} s each through Envoy, on one 2-core machine shared by every part`
		},
		{
			figure: 'presence fan-out to 1,000 streams over 2 replicas (join posted to replica 2)',
			unit: 'ms',
			value: spread.all,
			baseline: few.all,
			baselineLabel: '1,000 on replica 1',
			note: `first stream +${spread.first.median.toFixed(1)} ms (1 replica +${few.first.median.toFixed(1)}); ${spread.cpuNote} (API = replica 1)`
		}
	];
}
