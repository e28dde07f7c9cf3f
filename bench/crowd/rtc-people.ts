// People in a voice channel for tests and the bench (issue 27, item 2): each a real account on
// the stack's PDS, signed in the way the app does (PDS session → service-auth token →
// CreateSession through Envoy), given a LiveKit token by the real API server
// (GetChannelToken) and joined to LiveKit through @livekit/rtc-node. Speakers publish a
// speech-like tone pattern (bursts of a few hundred ms with pauses, so LiveKit's speaking
// indicator comes and goes); listeners publish nothing, so the server and LiveKit list them
// muted, as they list anyone whose microphone is off.
import { AtpAgent } from '@atproto/api';
import { createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { AudioFrame, AudioSource, LocalAudioTrack, Room, TrackPublishOptions, TrackSource, dispose } from '@livekit/rtc-node';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.ts';
import { CREATE_SESSION_LXM } from '../../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../../src/lib/auth/service-did.ts';

export interface RtcPerson {
	did: string;
	handle: string;
	speaker: boolean;
	room: Room;
}

export interface RtcCrowd {
	people: RtcPerson[];
	/** Stops the tones and disconnects everyone. */
	close(): Promise<void>;
}

const RATE = 48_000;
const FRAME = RATE / 100; // 10 ms

/** Bursts of 200–700 ms of a tone between 140 and 260 Hz, then 300–1,200 ms of silence, forever. */
function speak(source: AudioSource, seed: number, stopped: () => boolean): void {
	let rand = seed * 2654435761 >>> 0;
	const next = () => ((rand = (rand * 1664525 + 1013904223) >>> 0) / 2 ** 32);
	const hz = 140 + next() * 120;
	let phase = 0;
	let left = 0; // frames left in this burst or pause
	let talking = false;
	const frame = new Int16Array(FRAME);
	void (async () => {
		while (!stopped()) {
			if (left <= 0) {
				talking = !talking;
				left = Math.round((talking ? 20 + next() * 50 : 30 + next() * 90));
			}
			left--;
			for (let i = 0; i < FRAME; i++) {
				frame[i] = talking ? Math.round(Math.sin(phase) * 9000 * (1 + 0.3 * Math.sin(phase / 37))) : 0;
				phase += (2 * Math.PI * hz) / RATE;
			}
			// captureFrame waits while LiveKit's queue is full: this paces the loop at real time.
			await source.captureFrame(new AudioFrame(frame.slice(), RATE, 1, FRAME)).catch(() => undefined);
		}
	})();
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
	/** People signed in and joined at once (1: one after the other, speakers first). */
	concurrency?: number;
}

/** Makes the accounts, signs them in and joins them; speakers first. */
export async function joinCrowd(o: RtcCrowdOptions): Promise<RtcCrowd> {
	const transport = createGrpcWebTransport({ baseUrl: o.server, useBinaryFormat: true });
	const auth = createClient(AuthService, transport);
	const channels = createClient(ChannelsService, transport);
	const aud = serviceDidFor(o.server);
	const prefix = o.prefix ?? `r${Date.now().toString(36)}`;
	let stopped = false;
	const people: RtcPerson[] = [];
	let rtcQueue: Promise<unknown> = Promise.resolve();
	const close = async () => {
		stopped = true;
		await Promise.all(people.map((p) => p.room.disconnect().catch(() => undefined)));
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
		// One rtc-node join at a time, whatever the concurrency. rtc-node 1.1.0 fails a join with
		// "invalid request: handle not found (… ReadyForRoomEvent …)" once a process holds many
		// Rooms: seen at ~65 (6 joins at once) and at ~97 (one at a time); a retry that
		// disconnected the failed Room ended the process ("trying to drop an invalid handle").
		const joined = rtcQueue.then(async () => {
			const room = new Room();
			await room.connect(grant.livekitUrl, grant.token, { autoSubscribe: false, dynacast: false });
			people.push({ did: session.did, handle, speaker, room });
			if (speaker) {
				const source = new AudioSource(RATE, 1);
				const track = LocalAudioTrack.createAudioTrack('microphone', source);
				await room.localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
				speak(source, i + 1, () => stopped);
			}
		});
		rtcQueue = joined.catch(() => undefined);
		await joined;
	};
	try {
		// Sign-ins wait on the network and other processes (the PDS, the server's CreateSession
		// fetches a profile), so a few at once make a big crowd in minutes rather than tens of them.
		// Every worker stops at the first failure and all have stopped before the crowd is closed.
		let next = 0;
		const total = o.speakers + o.listeners;
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
	return { people, close };
}

/** Frees rtc-node's native side; call once at the end of the process's use of it. */
export const disposeRtc = dispose;
