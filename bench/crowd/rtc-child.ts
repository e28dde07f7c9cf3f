// One rtc-node process of a crowd (rtc-people.ts forks one per ≤ 40 people): it joins the
// people it is sent, one at a time, to LiveKit with @livekit/rtc-node and keeps them there
// until it is told to close or its parent goes away. rtc-node 1.1.0 fails joins once one
// process holds ~65-97 Rooms ("handle not found (… ReadyForRoomEvent …)"), so a crowd of 125
// is several of these. The accounts and tokens are made by the parent, through the real
// path; this process only speaks WebRTC.
//
// Run by Node itself (its type stripping, no loader), so this file uses erasable TypeScript
// only and imports nothing of the project's.
import { AudioFrame, AudioSource, LocalAudioTrack, Room, TrackPublishOptions, TrackSource, dispose } from '@livekit/rtc-node';

/** Parent → child. */
export type ChildCommand = { kind: 'join'; i: number; url: string; token: string; speaker: boolean } | { kind: 'close' };
/** Child → parent. */
export type ChildReport = { kind: 'joined'; i: number } | { kind: 'failed'; i: number; message: string } | { kind: 'closed' };

const RATE = 48_000;
const FRAME = RATE / 100; // 10 ms

/** Bursts of 200–700 ms of a tone between 140 and 260 Hz, then 300–1,200 ms of silence, forever. */
function speak(source: AudioSource, seed: number, stopped: () => boolean): void {
	let rand = (seed * 2654435761) >>> 0;
	const next = () => (rand = (rand * 1664525 + 1013904223) >>> 0) / 2 ** 32;
	const hz = 140 + next() * 120;
	let phase = 0;
	let left = 0; // frames left in this burst or pause
	let talking = false;
	const frame = new Int16Array(FRAME);
	void (async () => {
		while (!stopped()) {
			if (left <= 0) {
				talking = !talking;
				left = Math.round(talking ? 20 + next() * 50 : 30 + next() * 90);
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

function main(): void {
	const send = (report: ChildReport) => process.send?.(report);
	const rooms: Room[] = [];
	let stopped = false;
	// One join at a time: several Room.connect at once fail in rtc-node 1.1.0 (see rtc-people.ts).
	let queue: Promise<unknown> = Promise.resolve();
	const close = async () => {
		stopped = true;
		await queue.catch(() => undefined);
		await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
		await dispose().catch(() => undefined);
		send({ kind: 'closed' });
		process.exit(0);
	};
	// The parent is gone (ended, crashed or killed): nobody will close us, so leave at once.
	process.on('disconnect', () => process.exit(0));
	process.on('message', (m: ChildCommand) => {
		if (m.kind === 'close') {
			void close();
			return;
		}
		queue = queue.then(async () => {
			if (stopped) return;
			try {
				const room = new Room();
				await room.connect(m.url, m.token, { autoSubscribe: false, dynacast: false });
				rooms.push(room);
				if (m.speaker) {
					const source = new AudioSource(RATE, 1);
					const track = LocalAudioTrack.createAudioTrack('microphone', source);
					await room.localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
					speak(source, m.i + 1, () => stopped);
				}
				send({ kind: 'joined', i: m.i });
			} catch (err) {
				send({ kind: 'failed', i: m.i, message: err instanceof Error ? err.message : String(err) });
			}
		});
	});
}

main();
