// The server in a crowd (issue 27, item 3): N people, each a real PDS account signed in the
// way the app does (PDS session → service-auth token → CreateSession through Envoy), seated
// across C channels, each with their own WatchChannels stream open through Envoy. Then one
// join into one channel, timed until every stream has it (p50/p95), the snapshot's size on
// the wire, and the API server's memory and CPU per open stream.
//
// Who is seated comes from LiveKit webhooks signed as LiveKit signs them (no WebRTC: this is
// the API server's figure, not LiveKit's). The crowd's stack polls LiveKit slowly
// (CROWD_SERVER_ENV) so the reconciliation does not take the synthetic crowd out mid-run.
// Account creation is measured too: it is what decides how big a crowd is affordable here.
// Sizes are options: CROWD_PEOPLE (default 2000), CROWD_CHANNELS (40), CROWD_ROUNDS (20);
// CROWD_REPLICAS=2 runs it on the replicated stack (Redis, 2 API replicas): the streams spread
// over both through Envoy, and the timed join is posted to replica 2 (it crosses Redis).
import os from 'node:os';
import { toBinary } from '@bufbuild/protobuf';
import { AtpAgent } from '@atproto/api';
import { createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { ChannelsService, WatchChannelsResponseSchema } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { CREATE_SESSION_LXM } from '../../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../../src/lib/auth/service-did.ts';
import { signWebhook, webhookBody } from '../../server/voice/testing.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { memoryAfterGc, profileProcess, profileSummary } from '../node-profile.ts';
import { cpuMsOf, pidOf, rssOf } from '../presence.ts';
import type { Row } from '../report.ts';
import { summarize } from '../stats.ts';

export interface CrowdOptions {
	people: number;
	channels: number;
	rounds: number;
	/** Sign-ins (and account creations) in flight at once. */
	concurrency: number;
	/** API replicas: 1, or 2 on Redis. */
	replicas: 1 | 2;
}

export function intFrom(name: string, fallback: number, min: number, max: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
	return n;
}

export function crowdOptions(): CrowdOptions {
	return {
		people: intFrom('CROWD_PEOPLE', 2000, 1, 20000),
		channels: intFrom('CROWD_CHANNELS', 40, 1, 500),
		rounds: intFrom('CROWD_ROUNDS', 20, 1, 1000),
		concurrency: intFrom('CROWD_CONCURRENCY', 8, 1, 256),
		replicas: intFrom('CROWD_REPLICAS', 1, 1, 2) as 1 | 2
	};
}

export const channelId = (i: number) => `crowd-${String(i + 1).padStart(2, '0')}`;

/** The crowd's API server: C channels, sign-ins from one address, streams, a slow reconciliation. */
export function crowdServerEnv(o: CrowdOptions): Record<string, string> {
	return {
		MICROCLIMATE_CHANNELS: JSON.stringify(Array.from({ length: o.channels }, (_, i) => ({ id: channelId(i), name: `Crowd ${i + 1}` }))),
		// Every sign-in comes from this one process's address; the limit is per address.
		MICROCLIMATE_SIGN_IN_RATE_LIMIT: '100000',
		MICROCLIMATE_MAX_STREAMS: String(Math.max(4000, o.people + 100)),
		// The crowd is seated by webhooks, not in LiveKit: the reconciliation would take it out.
		// The longest interval (and 5x that while nobody is seated) leaves minutes for a run.
		MICROCLIMATE_RECONCILE_INTERVAL_MS: '60000'
	};
}

interface Person {
	handle: string;
	did: string;
	token: string;
}

/** Runs `work` over 0..n-1 with `limit` in flight; returns the results in order. */
async function pool<T>(n: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
	const out = new Array<T>(n);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, n) }, async () => {
			while (next < n) {
				const i = next++;
				out[i] = await work(i);
			}
		})
	);
	return out;
}

const runId = Date.now().toString(36);
const PROFILED_ROUNDS = 5;

/** Creates the accounts on the stack's PDS; the creation's session is the person's PDS session. */
async function createPeople(stack: StackInfo, o: CrowdOptions): Promise<{ agents: AtpAgent[]; ms: number }> {
	const t0 = performance.now();
	const agents = await pool(o.people, o.concurrency, async (i) => {
		const agent = new AtpAgent({ service: stack.pds });
		const handle = `c${runId}${i}.test`;
		await agent.createAccount({ handle, email: `${handle}@example.com`, password: `crowd-password-${i}` });
		return agent;
	});
	return { agents, ms: performance.now() - t0 };
}

/** Service-auth token from the PDS, then CreateSession through Envoy: the app's sign-in minus OAuth. */
async function signIn(stack: StackInfo, agents: AtpAgent[], o: CrowdOptions): Promise<{ people: Person[]; ms: number }> {
	const transport = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const auth = createClient(AuthService, transport);
	const aud = serviceDidFor(stack.server);
	const t0 = performance.now();
	const people = await pool(agents.length, o.concurrency, async (i) => {
		const agent = agents[i]!;
		const { data } = await agent.com.atproto.server.getServiceAuth({ aud, lxm: CREATE_SESSION_LXM, exp: Math.floor(Date.now() / 1000) + 60 });
		const res = await auth.createSession({ serviceToken: data.token });
		return { handle: agent.session!.handle, did: res.did, token: res.sessionToken };
	});
	return { people, ms: performance.now() - t0 };
}

async function postEvent(webhook: string, stack: StackInfo, event: 'participant_joined' | 'participant_left', room: string, did: string, handle: string, sid: string): Promise<void> {
	const body = webhookBody({ event, room: { name: room }, participant: { identity: did, name: handle, sid } });
	const authorization = await signWebhook(body, stack.livekit.apiKey, stack.livekit.apiSecret);
	const res = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/webhook+json', authorization }, body });
	if (!res.ok) throw new Error(`webhook refused: ${res.status} ${await res.text()}`);
}

/** One stream per person; counts per "kind did" how many streams saw the event. */
function openStreams(stack: StackInfo, people: Person[]) {
	const transport = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const client = createClient(ChannelsService, transport);
	const abort = new AbortController();
	const n = people.length;
	const counts = new Map<string, number>();
	const waits = new Map<string, (at: number) => void>();
	const snapshotBytes: number[] = [];
	let ended = 0;
	let failed: unknown;
	const bump = (key: string) => {
		const c = (counts.get(key) ?? 0) + 1;
		counts.set(key, c);
		if (c === n) waits.get(key)?.(performance.now());
	};
	for (const person of people) {
		void (async () => {
			for await (const m of client.watchChannels({}, { headers: { authorization: `Bearer ${person.token}` }, signal: abort.signal })) {
				const e = m.event;
				if (e.case === 'snapshot') {
					// What went over the wire: the protobuf message plus gRPC-Web's 5-byte frame header.
					if (snapshotBytes.length < 3) snapshotBytes.push(toBinary(WatchChannelsResponseSchema, m).length + 5);
					bump('snapshot');
				} else if (e.case === 'joined') bump(`joined ${e.value.participant?.did}`);
				else if (e.case === 'left') bump(`left ${e.value.did}`);
			}
			ended++;
		})().catch((err: unknown) => {
			ended++;
			if (!abort.signal.aborted) failed ??= err;
		});
	}
	const when = (key: string, timeoutMs = 60_000) =>
		new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${key}: ${counts.get(key) ?? 0}/${n} streams within ${timeoutMs} ms${failed ? ` (a stream failed: ${String(failed)})` : ''}; ${ended} ended`)), timeoutMs);
			waits.set(key, (at) => (clearTimeout(timer), resolve(at)));
			if ((counts.get(key) ?? 0) >= n) waits.get(key)!(performance.now());
		});
	return { when, snapshotBytes, ended: () => ended, close: () => abort.abort() };
}

export interface CrowdResult {
	options: CrowdOptions;
	createPerSec: number;
	signInPerSec: number;
	seatMs: number;
	openMs: number;
	snapshotBytes: number;
	fanOut: ReturnType<typeof summarize>;
	rssBeforeMiB: number;
	rssAfterMiB: number;
	heldBeforeMiB: number;
	heldAfterMiB: number;
	/** Held (JS heap + external, after a full collection) per open stream. */
	kibPerStream: number;
	/** Resident memory per open stream, also after a collection: includes what the allocator kept of the garbage. */
	rssKibPerStream: number;
	apiCpuOpenMs: number;
	apiCpuPerRoundMs: number;
	streamsEnded: number;
	/** Where replica 1's CPU went in the profiled rounds (node-profile.ts). */
	profile: string;
}

export async function runCrowd(stack: StackInfo, o: CrowdOptions, log: (line: string) => void = () => undefined): Promise<CrowdResult> {
	// Every API replica's process: memory and CPU are summed over them.
	const apiPorts = [stack.ports.API, ...(o.replicas === 2 && stack.ports.API_2 ? [stack.ports.API_2] : [])];
	const apiCpu = () => apiPorts.reduce((sum, port) => sum + cpuMsOf(pidOf(port)), 0);
	const apiRss = () => apiPorts.reduce((sum, port) => sum + rssOf(port), 0);
	// What the replicas hold (JS heap + memory outside it: buffers, sockets), after a full
	// collection, in MiB: read one replica at a time (each opens its inspector on the same port).
	const apiHeld = async () => {
		let sum = 0;
		const parts: string[] = [];
		for (const port of apiPorts) {
			const m = await memoryAfterGc(pidOf(port));
			sum += (m.heapUsed + m.external) / 2 ** 20;
			parts.push(`heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB + external ${(m.external / 2 ** 20).toFixed(0)} MiB (array buffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)})`);
		}
		log(`API held after a full collection: ${parts.join('; ')}`);
		return sum;
	};
	// The timed join goes to the last replica: with 2, it reaches the others through Redis.
	const joinWebhook = stack.replicas?.zones.at(-1)?.webhook ?? stack.webhook;
	const created = await createPeople(stack, o);
	log(`${o.people} PDS accounts in ${(created.ms / 1000).toFixed(1)} s`);
	const signed = await signIn(stack, created.agents, o);
	log(`${o.people} sign-ins in ${(signed.ms / 1000).toFixed(1)} s`);
	const people = signed.people;

	// Seat everyone, spread evenly over the channels, in join order.
	let t = performance.now();
	await pool(people.length, o.concurrency, (i) => postEvent(stack.webhook, stack, 'participant_joined', channelId(i % o.channels), people[i]!.did, people[i]!.handle, `PA_crowd${runId}${i}`));
	const seatMs = performance.now() - t;
	log(`seated ${people.length} people in ${(seatMs / 1000).toFixed(1)} s`);

	await new Promise((r) => setTimeout(r, 1000));
	const heldBeforeMiB = await apiHeld();
	const rssBeforeMiB = apiRss(); // after that collection, like the one after the streams open
	const cpu0 = apiCpu();
	t = performance.now();
	const streams = openStreams(stack, people);
	try {
		const openMs = (await streams.when('snapshot', 300_000)) - t;
		const apiCpuOpenMs = apiCpu() - cpu0;
		await new Promise((r) => setTimeout(r, 1000));
		const heldAfterMiB = await apiHeld();
		const rssAfterMiB = apiRss();
		log(`${people.length} streams open with their snapshots in ${(openMs / 1000).toFixed(1)} s; API held ${heldBeforeMiB.toFixed(0)} → ${heldAfterMiB.toFixed(0)} MiB, RSS ${rssBeforeMiB.toFixed(0)} → ${rssAfterMiB.toFixed(0)} MiB`);

		const joinAndLeave = async (round: string) => {
			const did = `did:plc:crowdjoin${runId}x${round}`;
			const sid = `PA_crowdjoin${runId}x${round}`;
			const joined = streams.when(`joined ${did}`);
			const sent = performance.now();
			await postEvent(joinWebhook, stack, 'participant_joined', channelId(0), did, `joiner${round}.test`, sid);
			const ms = (await joined) - sent;
			const left = streams.when(`left ${did}`);
			await postEvent(joinWebhook, stack, 'participant_left', channelId(0), did, `joiner${round}.test`, sid);
			await left;
			return ms;
		};
		const samples: number[] = [];
		const cpuRounds0 = apiCpu();
		for (let round = 0; round < o.rounds; round++) samples.push(await joinAndLeave(String(round)));
		const apiCpuPerRoundMs = (apiCpu() - cpuRounds0) / o.rounds;
		// Then a few more rounds, not timed, under V8's profiler in the first API replica: what
		// its CPU goes to in a fan-out (the timed rounds above run without the profiler).
		const profiler = await profileProcess(pidOf(stack.ports.API));
		for (let round = 0; round < PROFILED_ROUNDS; round++) await joinAndLeave(`p${round}`);
		const profile = profileSummary(await profiler.stop());
		log(`API profile over ${PROFILED_ROUNDS} joins + leaves: ${profile}`);
		return {
			options: o,
			createPerSec: o.people / (created.ms / 1000),
			signInPerSec: o.people / (signed.ms / 1000),
			seatMs,
			openMs,
			snapshotBytes: streams.snapshotBytes[0] ?? Number.NaN,
			fanOut: summarize(samples),
			rssBeforeMiB,
			rssAfterMiB,
			heldBeforeMiB,
			heldAfterMiB,
			kibPerStream: ((heldAfterMiB - heldBeforeMiB) * 1024) / people.length,
			rssKibPerStream: ((rssAfterMiB - rssBeforeMiB) * 1024) / people.length,
			apiCpuOpenMs,
			apiCpuPerRoundMs,
			streamsEnded: streams.ended(),
			profile
		};
	} finally {
		streams.close();
	}
}

export function crowdRows(r: CrowdResult, load = os.loadavg()[0]!): Row[] {
	const { people, channels } = r.options;
	const size = `${people.toLocaleString('en')} people, ${channels} channels`;
	const replicas = r.options.replicas === 2 ? '2 replicas on Redis, the join posted to replica 2' : '1 replica';
	return [
		{
			figure: `presence fan-out of one join to ${people.toLocaleString('en')} open streams (${size}, ${replicas})`,
			unit: 'ms',
			value: r.fanOut,
			goal: '<= 300 ms p95',
			note: `join and leave by LiveKit-signed webhook, timed to the last stream; ${r.options.rounds} rounds; API CPU ${r.apiCpuPerRoundMs.toFixed(0)} ms per join+leave; ${r.streamsEnded} streams ended early; load ${load.toFixed(1)} on ${os.cpus().length} cores; API replica 1 profiled over ${PROFILED_ROUNDS} more joins + leaves: ${r.profile}`
		},
		{
			figure: `WatchChannels snapshot on the wire (${size} seated)`,
			unit: 'bytes',
			value: r.snapshotBytes,
			note: 'protobuf + gRPC-Web frame header, uncompressed'
		},
		{
			figure: `API server memory per open WatchChannels stream (${replicas})`,
			unit: 'KiB',
			value: r.kibPerStream,
			goal: '<= 64 KiB',
			note: `held after a full collection (JS heap + external, all replicas) ${r.heldBeforeMiB.toFixed(0)} → ${r.heldAfterMiB.toFixed(0)} MiB for ${people} streams; resident ${r.rssBeforeMiB.toFixed(0)} → ${r.rssAfterMiB.toFixed(0)} MiB (${r.rssKibPerStream.toFixed(0)} KiB a stream); opening them (snapshots included) took ${(r.openMs / 1000).toFixed(1)} s and ${r.apiCpuOpenMs.toFixed(0)} ms API CPU (${(r.apiCpuOpenMs / people).toFixed(2)} ms per stream)`
		},
		{
			figure: 'crowd set-up rates on this machine',
			unit: 'per s',
			value: r.createPerSec,
			note: `PDS accounts created ${r.createPerSec.toFixed(1)}/s; sign-ins (service token + CreateSession) ${r.signInPerSec.toFixed(1)}/s; ${people} seated by webhook in ${(r.seatMs / 1000).toFixed(1)} s`
		}
	];
}
