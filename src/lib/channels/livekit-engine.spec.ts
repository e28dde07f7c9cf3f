import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallAudio } from './call-audio.js';
import type { CallPrivacy } from './e2ee/call-privacy.svelte.js';

// livekit-client's Room, counted: every Room lives (its devicechange listener, its engine)
// until it is disconnected or dropped, so how many the engine makes is what matters here.
// It also connects (a fake: events are fired by the test) for the people list's tests.
type Handler = (...args: unknown[]) => void;
interface FakeRoom {
	prepareConnection: ReturnType<typeof vi.fn>;
	remoteParticipants: Map<string, { identity: string; name: string; isMicrophoneEnabled: boolean; isSpeaking: boolean }>;
	fire(event: string, ...args: unknown[]): void;
}
const rooms = vi.hoisted(() => [] as FakeRoom[]);
vi.mock('livekit-client', async (original) => {
	class Room {
		prepareConnection = vi.fn(async (_url: string) => {});
		remoteParticipants = new Map();
		localParticipant = { identity: 'did:plc:me', sid: 'PA_me', getTrackPublication: () => undefined };
		canPlaybackAudio = true;
		#handlers = new Map<string, Handler[]>();
		constructor() {
			rooms.push(this as unknown as FakeRoom);
		}
		on(event: string, handler: Handler) {
			this.#handlers.set(event, [...(this.#handlers.get(event) ?? []), handler]);
			return this;
		}
		fire(event: string, ...args: unknown[]) {
			for (const h of this.#handlers.get(event) ?? []) h(...args);
		}
		async connect() {}
		async disconnect() {}
		async startAudio() {}
	}
	return { ...(await original<typeof import('livekit-client')>()), Room };
});

// The E2EE worker is a browser worker script: never evaluated in Node.
vi.mock('livekit-client/e2ee-worker?worker', () => ({ default: class {} }));

const { createLiveKitEngine } = await import('./livekit-engine.js');

describe('the LiveKit engine’s join warm-up', () => {
	beforeEach(() => {
		rooms.length = 0;
	});

	it('warms every join through one Room instead of leaving a Room behind each time', async () => {
		const engine = createLiveKitEngine({} as CallAudio, {} as CallPrivacy);
		await engine.prepare('ws://lk.example');
		await engine.prepare('ws://lk.example');
		await engine.prepare('ws://lk2.example');
		expect(rooms).toHaveLength(1);
		expect(rooms[0]!.prepareConnection.mock.calls).toEqual([['ws://lk.example'], ['ws://lk.example'], ['ws://lk2.example']]);
	});
});

describe('the LiveKit engine’s people list', () => {
	beforeEach(() => {
		rooms.length = 0;
	});

	it('hands the screen one list per burst of LiveKit events: joining 126 people builds it once, not 126 times', async () => {
		const mix = { state: 'running', addEventListener: () => {}, removeEventListener: () => {} };
		const engine = createLiveKitEngine({ open: () => mix } as unknown as CallAudio, { keyFor: () => undefined, isPlain: () => true } as unknown as CallPrivacy);
		const lists: number[] = [];
		const listener = { link: () => {}, people: (list: unknown[]) => lists.push(list.length), audioBlocked: () => {}, micTrack: () => {} };
		await engine.connect('ws://lk.example', 'token', { echoCancellation: true, noiseSuppression: true, autoGainControl: true }, undefined, listener);
		await Promise.resolve();
		const room = rooms.at(-1)!;
		lists.length = 0;
		// What livekit-client does on a join into a crowd: in one go, for each person already
		// there, a participant event and a track event.
		for (let i = 0; i < 126; i++) {
			const p = { identity: `did:plc:p${i}`, name: `p${i}`, isMicrophoneEnabled: i < 25, isSpeaking: false };
			room.remoteParticipants.set(p.identity, p);
			room.fire('participantConnected', p);
			room.fire('trackPublished', {}, p);
		}
		expect(lists).toEqual([]); // nothing built inside the burst
		await Promise.resolve();
		expect(lists).toEqual([126]);
		// A later event on its own still reaches the screen.
		room.fire('activeSpeakersChanged', []);
		await Promise.resolve();
		expect(lists).toEqual([126, 126]);
	});
});
