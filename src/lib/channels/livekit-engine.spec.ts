import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallAudio } from './call-audio.js';
import type { CallPrivacy } from './e2ee/call-privacy.svelte.js';

// livekit-client's Room, counted: every Room lives (its devicechange listener, its engine)
// until it is disconnected or dropped, so how many the engine makes is what matters here.
const rooms = vi.hoisted(() => [] as { prepareConnection: ReturnType<typeof vi.fn> }[]);
vi.mock('livekit-client', async (original) => {
	class Room {
		prepareConnection = vi.fn(async (_url: string) => {});
		constructor() {
			rooms.push(this);
		}
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
