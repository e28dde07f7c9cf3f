// Presence fan-out: N WatchChannels streams through Envoy (gRPC-Web, from this Node
// process, one session JWT), all past their snapshot; then a join, timed until every
// stream has its `joined` event. 1,000 streams against a baseline of 10.
// The join is a LiveKit webhook signed exactly as LiveKit signs it (the server's own test
// helpers, the stack's key and secret), t0 = the POST: this times the server's fan-out and
// Envoy, not WebRTC set-up. The server's reconciliation with LiveKit (where nobody is in the
// room) then removes the synthetic person; every stream has to see that `left` before the
// next round. Node's fetch has no per-origin connection cap, so 1,000 HTTP/1.1 streams are
// 1,000 connections to Envoy, which multiplexes them on HTTP/2 to the API server (within
// the `api` circuit breaker of deploy/envoy.yaml, 5,000 concurrent requests).
//
// One account may hold only MICROCLIMATE_MAX_STREAMS_PER_DID streams (8 by default). This
// figure is about fan-out, not about who holds the streams, so the bench's stack raises that
// cap (PRESENCE_SERVER_ENV, applied by run.ts before the stack starts) instead of signing
// in 125 accounts, which the sign-in rate limit would also refuse from one address. The
// server's total (MICROCLIMATE_MAX_STREAMS, 4,000) stays as deployed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { signWebhook, webhookBody } from '../server/voice/testing.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { scriptSignIn } from './script-session.ts';
import { summarize } from './stats.ts';

const ROUNDS = 5;

/** Server settings the presence figure needs: 10 + 1,000 + 1,000 streams on one session. */
export const PRESENCE_SERVER_ENV = { MICROCLIMATE_MAX_STREAMS_PER_DID: '2500' } as const;
let fanOuts = 0; // a fresh DID and sid for every join: the server ignores a sid it saw leave

type Client = ReturnType<typeof createClient<typeof ChannelsService>>;

/** N streams that count, per "kind did", how many of them have seen that event. */
function openStreams(client: Client, token: string, n: number) {
	const abort = new AbortController();
	const counts = new Map<string, number>();
	const waits = new Map<string, (at: number) => void>();
	let failed: unknown;
	const bump = (key: string) => {
		const c = (counts.get(key) ?? 0) + 1;
		counts.set(key, c);
		if (c === 1) waits.get(`first ${key}`)?.(performance.now());
		if (c === n) waits.get(key)?.(performance.now());
	};
	for (let i = 0; i < n; i++) {
		void (async () => {
			for await (const m of client.watchChannels({}, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })) {
				const e = m.event;
				if (e.case === 'snapshot') bump('snapshot');
				else if (e.case === 'joined') bump(`joined ${e.value.participant?.did}`);
				else if (e.case === 'left') bump(`left ${e.value.did}`);
			}
		})().catch((err: unknown) => {
			if (!abort.signal.aborted) failed ??= err;
		});
	}
	/** performance.now() when `key` reached every stream (or the first, with "first "). */
	const when = (key: string, timeoutMs = 30_000) =>
		new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${key}: ${counts.get(key.replace(/^first /, '')) ?? 0}/${n} streams within ${timeoutMs} ms${failed ? ` (a stream failed: ${String(failed)})` : ''}`)), timeoutMs);
			waits.set(key, (at) => (clearTimeout(timer), resolve(at)));
			const done = counts.get(key.replace(/^first /, '')) ?? 0;
			if (key.startsWith('first ') ? done > 0 : done >= n) waits.get(key)!(performance.now());
		});
	return { when, close: () => abort.abort() };
}

export function pidOf(port: number): string {
	const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
	const pid = /pid=(\d+)/.exec(out)?.[1];
	if (!pid) throw new Error(`no process found listening on port ${port}`);
	return pid;
}

/** Resident memory (MiB) of the process listening on `port`, from /proc. */
export function rssOf(port: number): number {
	const pid = pidOf(port);
	const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
	return Number(kb) / 1024;
}

/** CPU time (ms) a process has used so far: utime + stime from /proc/<pid>/stat (100 Hz ticks). */
export function cpuMsOf(pid: string | number): number {
	const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time (ms) each side spends, read around a fan-out: the API server and Envoy from
 * /proc/<pid>/stat (10 ms ticks), this process (the 1,000 clients) from process.cpuUsage().
 * On a shared machine, who burns the CPU between the POST and the last stream is what
 * dominates the figure.
 */
function cpuMeter(stack: StackInfo) {
	const pids = { api: pidOf(stack.ports.API), envoy: pidOf(stack.ports.ENVOY) };
	const read = () => ({ api: cpuMsOf(pids.api), envoy: cpuMsOf(pids.envoy), clients: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 });
	const total = { api: 0, envoy: 0, clients: 0 };
	return {
		total,
		around: async <T>(work: () => Promise<T>): Promise<T> => {
			const before = read();
			const result = await work();
			const after = read();
			for (const k of ['api', 'envoy', 'clients'] as const) total[k] += after[k] - before[k];
			return result;
		}
	};
}

/** `webhook`: where the join is posted (the replicated stack's bench posts to another replica than the streams'). */
export async function fanOut(stack: StackInfo, client: Client, token: string, n: number, memory?: (label: string) => void, webhook = stack.webhook) {
	const cpu = cpuMeter(stack);
	const t0 = performance.now();
	const streams = openStreams(client, token, n);
	const all: number[] = [];
	const first: number[] = [];
	try {
		const opened = (await streams.when('snapshot', 60_000)) - t0;
		memory?.(`${n} streams open`);
		for (let round = 0; round < ROUNDS; round++) {
			const id = `${++fanOuts}x${n}x${round}`;
			const did = `did:plc:benchfanout${id}`;
			const body = webhookBody({ event: 'participant_joined', room: { name: 'lobby' }, participant: { identity: did, name: 'fanout.bench', sid: `PA_fanout${id}` } });
			const authorization = await signWebhook(body, stack.livekit.apiKey, stack.livekit.apiSecret);
			const joined = streams.when(`joined ${did}`);
			const firstJoined = streams.when(`first joined ${did}`);
			firstJoined.catch(() => undefined); // awaited below; only `joined` may fail the round
			const sent = performance.now();
			await cpu.around(async () => {
				const res = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/webhook+json', authorization }, body });
				if (!res.ok) throw new Error(`webhook refused: ${res.status} ${await res.text()}`);
				await joined;
			});
			all.push((await joined) - sent);
			first.push((await firstJoined) - sent);
			await streams.when(`left ${did}`, 15_000); // the reconciliation removed it
		}
		const perRound = (ms: number) => (ms / ROUNDS).toFixed(0);
		const cpuNote = `CPU per round: API ${perRound(cpu.total.api)} ms, Envoy ${perRound(cpu.total.envoy)} ms, the ${n} clients ${perRound(cpu.total.clients)} ms`;
		return { all: summarize(all), first: summarize(first), opened, cpuNote };
	} finally {
		streams.close();
	}
}

export async function presenceRows(stack: StackInfo): Promise<Row[]> {
	const transport = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const { token } = await scriptSignIn(stack, 'alice.test', transport);
	const client = createClient(ChannelsService, transport);
	const mem: string[] = [];
	const memory = (label: string) => mem.push(`${label}: API ${rssOf(stack.ports.API).toFixed(0)} MiB, Envoy ${rssOf(stack.ports.ENVOY).toFixed(0)} MiB`);
	const few = await fanOut(stack, client, token, 10);
	await new Promise((r) => setTimeout(r, 500)); // let the closed streams go
	memory('before');
	const many = await fanOut(stack, client, token, 1000, memory);
	// Without Envoy (plain gRPC over one HTTP/2 connection): how much of the figure is Envoy
	// and gRPC-Web.
	const direct = await fanOut(stack, createClient(ChannelsService, createGrpcTransport({ baseUrl: stack.api })), token, 1000);
	return [
		{
			figure: 'presence fan-out: webhook join to every one of 1,000 streams',
			unit: 'ms',
			value: many.all,
			baseline: few.all,
			baselineLabel: '10 streams',
			goal: '<= 200 ms',
			note: `trigger: a LiveKit-signed webhook POST (server fan-out + Envoy, no WebRTC); the 1,000 clients are this one Node process on the same ${os.cpus().length}-core machine; first stream +${many.first.median.toFixed(1)} ms (10 streams: +${few.first.median.toFixed(1)}); 1,000 streams open with snapshots in ${many.opened.toFixed(0)} ms; RSS ${mem.join('; ')}; ${many.cpuNote}`
		},
		{
			figure: 'presence fan-out, 1,000 streams straight to the API server (no Envoy)',
			unit: 'ms',
			value: direct.all,
			baseline: few.all,
			baselineLabel: '10 streams via Envoy',
			note: `first stream +${direct.first.median.toFixed(1)} ms; ${direct.cpuNote}`
		}
	];
}
