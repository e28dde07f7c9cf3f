// People in a voice channel for tests and the bench (issue 27, item 2): each a real account on
// the stack's PDS, signed in the way the app does (PDS session → service-auth token →
// CreateSession through Envoy), given a LiveKit token by the real API server
// (GetChannelToken) and joined to LiveKit through @livekit/rtc-node. Speakers publish a
// speech-like tone pattern (bursts of a few hundred ms with pauses, so LiveKit's speaking
// indicator comes and goes); listeners publish nothing, so the server and LiveKit list them
// muted, as they list anyone whose microphone is off.
//
// The WebRTC side runs in child processes (rtc-child.ts), at most `perProcess` people (40)
// each: rtc-node 1.1.0 fails joins once one process holds ~65-97 Rooms. This process makes the
// accounts and tokens (the real path, several sign-ins at once, in one place that knows every
// DID) and hands each child only a LiveKit URL and token. The children end with the crowd's
// close(), with this process (on its exit, SIGINT or SIGTERM they are killed; a child whose
// parent vanished leaves on its own when the IPC channel closes), and never outlive either.
import { fork, type ChildProcess } from 'node:child_process';
import { AtpAgent } from '@atproto/api';
import { createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { CREATE_SESSION_LXM } from '../../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../../src/lib/auth/service-did.ts';
import type { ChildCommand, ChildReport } from './rtc-child.ts';

export interface RtcPerson {
	did: string;
	handle: string;
	speaker: boolean;
	/** The rtc-node process that holds this person's Room. */
	pid: number;
}

export interface RtcCrowd {
	people: RtcPerson[];
	/** The rtc-node processes (for their CPU: the load generator's own cost). */
	pids: number[];
	/** Stops the tones, disconnects everyone and ends the rtc-node processes. */
	close(): Promise<void>;
}

export interface RtcCrowdOptions {
	/** The stack's PDS and the API server's public URL (Envoy). */
	pds: string;
	server: string;
	channelId: string;
	speakers: number;
	listeners: number;
	/** Handles are `${prefix}${i}.test`. */
	prefix?: string;
	/** People signed in at once (1: one after the other, speakers first). Each rtc-node process joins its people one at a time. */
	concurrency?: number;
	/** People per rtc-node process (40). */
	perProcess?: number;
}

const CHILD = new URL('./rtc-child.ts', import.meta.url).pathname;

/** One rtc-node process: join(i, url, token) resolves once that person is in LiveKit. */
class RtcProcess {
	readonly child: ChildProcess;
	private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
	private ended: Error | undefined;
	readonly exited: Promise<void>;

	constructor(index: number) {
		// Node runs the child's TypeScript itself (type stripping): none of this process's loaders.
		this.child = fork(CHILD, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		this.child.on('message', (m: ChildReport) => {
			if (m.kind === 'closed') return;
			const w = this.waiting.get(m.i);
			this.waiting.delete(m.i);
			if (m.kind === 'joined') w?.resolve();
			else w?.reject(new Error(`rtc-node process ${index + 1} could not join person ${m.i}: ${m.message}`));
		});
		this.exited = new Promise((resolve) =>
			this.child.once('exit', (code, signal) => {
				this.ended = new Error(`rtc-node process ${index + 1} (pid ${this.child.pid}) ended (${signal ?? `code ${code}`})`);
				for (const w of this.waiting.values()) w.reject(this.ended);
				this.waiting.clear();
				resolve();
			})
		);
	}

	join(command: Extract<ChildCommand, { kind: 'join' }>): Promise<void> {
		if (this.ended) return Promise.reject(this.ended);
		return new Promise((resolve, reject) => {
			this.waiting.set(command.i, { resolve, reject });
			this.child.send(command);
		});
	}

	/** Asks the child to disconnect its Rooms and end; kills it if it has not within `ms`. */
	async close(ms = 15_000): Promise<void> {
		if (this.ended) return;
		if (this.child.connected) this.child.send({ kind: 'close' } satisfies ChildCommand);
		else this.child.kill('SIGKILL');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
		await this.exited;
		clearTimeout(timer);
	}

	kill(): void {
		if (!this.ended) this.child.kill('SIGKILL');
	}
}

/** Makes the accounts, signs them in and joins them; speakers first. */
export async function joinCrowd(o: RtcCrowdOptions): Promise<RtcCrowd> {
	const transport = createGrpcWebTransport({ baseUrl: o.server, useBinaryFormat: true });
	const auth = createClient(AuthService, transport);
	const channels = createClient(ChannelsService, transport);
	const aud = serviceDidFor(o.server);
	const prefix = o.prefix ?? `r${Date.now().toString(36)}`;
	const total = o.speakers + o.listeners;
	const perProcess = Math.max(1, o.perProcess ?? 40);
	const procs = Array.from({ length: Math.max(1, Math.ceil(total / perProcess)) }, (_, k) => new RtcProcess(k));
	// No child may outlive this process, however it ends.
	const killAll = () => procs.forEach((p) => p.kill());
	const onSignal = (signal: NodeJS.Signals) => {
		killAll();
		process.off(signal, onSignal);
		// Nobody else listening: end the way the signal would have ended us.
		if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
	};
	process.on('exit', killAll);
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	let stopped = false;
	const people: RtcPerson[] = [];
	const close = async () => {
		stopped = true;
		await Promise.all(procs.map((p) => p.close()));
		process.off('exit', killAll);
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
	};
	const joinOne = async (i: number) => {
		const speaker = i < o.speakers;
		const agent = new AtpAgent({ service: o.pds });
		const handle = `${prefix}${i}.test`;
		await agent.createAccount({ handle, email: `${handle}@example.com`, password: `${handle}-password` });
		const { data } = await agent.com.atproto.server.getServiceAuth({ aud, lxm: CREATE_SESSION_LXM, exp: Math.floor(Date.now() / 1000) + 60 });
		const session = await auth.createSession({ serviceToken: data.token });
		const headers = { authorization: `Bearer ${session.sessionToken}` };
		const grant = await channels.getChannelToken({ channelId: o.channelId }, { headers });
		// Round robin, so the speakers are spread over the processes as well as the listeners.
		const proc = procs[i % procs.length]!;
		await proc.join({ kind: 'join', i, url: grant.livekitUrl, token: grant.token, speaker });
		people.push({ did: session.did, handle, speaker, pid: proc.child.pid! });
	};
	try {
		// Sign-ins wait on the network and other processes (the PDS, the server's CreateSession
		// fetches a profile), so a few at once make a big crowd in minutes rather than tens of them.
		// Every worker stops at the first failure and all have stopped before the crowd is closed.
		let next = 0;
		const done = await Promise.allSettled(
			Array.from({ length: Math.min(o.concurrency ?? 1, total) }, async () => {
				while (next < total && !stopped) await joinOne(next++).catch((err: unknown) => ((stopped = true), Promise.reject(err)));
			})
		);
		const failed = done.find((r) => r.status === 'rejected');
		if (failed) throw failed.reason;
	} catch (err) {
		await close();
		throw err;
	}
	return { people, pids: procs.map((p) => p.child.pid!), close };
}
