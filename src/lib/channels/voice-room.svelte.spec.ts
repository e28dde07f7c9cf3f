import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { loadRpc } from '$lib/api/rpc-loader.js';
import { RESUME_DEADLINE_MS, VoiceRoom } from './voice-room.svelte.js';
import { DEFAULT_PREFS } from './voice-prefs.svelte.js';
import { CallEnded, EngineUnavailable, type EngineListener, type MicProblem, type VoiceEngine } from './voice-engine.js';

// In the app a ConnectError exists only once the transport's chunk has loaded (call-errors.ts).
beforeAll(async () => void (await loadRpc()));

class FakeEngine implements VoiceEngine {
	listener: EngineListener | undefined;
	connects: { url: string; token: string }[] = [];
	micMuted: boolean | undefined;
	published: boolean | undefined;
	micProblem: MicProblem | undefined;
	gains = new Map<string, number>();
	prepare = vi.fn(async () => {});
	/** The LiveKit session each connect gets: PA_1, PA_2… */
	session: string | undefined;
	connect = vi.fn(async (url: string, token: string, _c: unknown, _o: unknown, l: EngineListener) => {
		this.connects.push({ url, token });
		this.listener = l;
		this.session = `PA_${this.connects.length}`;
	});
	lastSession = () => this.session;
	publishMic = vi.fn(async (muted: boolean) => {
		if (this.micProblem) return this.micProblem;
		this.published = true;
		this.micMuted = muted;
		return undefined;
	});
	setMicMuted = vi.fn(async (muted: boolean) => void (this.micMuted = muted));
	setGain = vi.fn((id: string, g: number) => void this.gains.set(id, g));
	startAudio = vi.fn(async () => {});
	useDevice = vi.fn(async () => {});
	disconnect = vi.fn(async () => {});
}

function setup(tokenError?: ConnectError, supported: () => boolean = () => true) {
	const engine = new FakeEngine();
	const loads = vi.fn(async () => engine);
	const requested: string[] = [];
	/** Each token request's automatic-rejoin mark: the lost session it names, or null for a join. */
	const rejoins: (string | null)[] = [];
	/** Answers the next token requests get instead of a token. */
	const refusals: ConnectError[] = [];
	const transport = createRouterTransport(({ service }) => {
		service(ChannelsService, {
			getChannelToken(req) {
				requested.push(req.channelId);
				rejoins.push(req.rejoin ? req.rejoin.lostSession : null);
				if (tokenError) throw tokenError;
				const refusal = refusals.shift();
				if (refusal) throw refusal;
				return { livekitUrl: 'ws://lk', token: `t-${req.channelId}-${requested.length}`, room: req.channelId };
			}
		});
	});
	const announce = vi.fn();
	const sounds = { joined: vi.fn(), left: vi.fn() };
	const releaseWakeLock = vi.fn();
	const audio = { open: vi.fn(), close: vi.fn() };
	const deps = {
		client: () => createClient(ChannelsService, transport),
		engine: loads,
		supported,
		audio,
		prefs: () => DEFAULT_PREFS,
		announce,
		sounds,
		holdWakeLock: () => releaseWakeLock,
		meter: () => () => {},
		speaking: () => () => false
	};
	const room = new VoiceRoom(deps);
	return { room, engine, loads, requested, rejoins, refusals, announce, sounds, releaseWakeLock, audio, deps };
}

/** A tap on Join whose first connect fails on the network; its retry (10 s later) connects. */
async function joinAfterOneNetworkFailure(t: ReturnType<typeof setup>): Promise<void> {
	t.engine.connect.mockImplementationOnce(async () => {
		throw new TypeError('Failed to fetch');
	});
	vi.useFakeTimers();
	try {
		const joined = t.room.join('lobby');
		await vi.advanceTimersByTimeAsync(10_000);
		await joined;
	} finally {
		vi.useRealTimers();
	}
}

const alice = { identity: 'did:plc:alice', name: 'alice.test', muted: false, speaking: false };
const bob = { identity: 'did:plc:bob', name: 'bob.test', muted: false, speaking: false };

describe('VoiceRoom', () => {
	let t: ReturnType<typeof setup>;
	beforeEach(() => {
		t = setup();
	});

	it('joins with a token from the server, loads the engine once, publishes the mic unmuted', async () => {
		await t.room.join('lobby');
		expect(t.room.status).toBe('connected');
		expect(t.engine.connects).toEqual([{ url: 'ws://lk', token: 't-lobby-1' }]);
		expect(t.engine.published).toBe(true);
		expect(t.engine.micMuted).toBe(false);
		await t.room.join('music');
		expect(t.room.channelId).toBe('music');
		expect(t.loads).toHaveBeenCalledOnce();
		expect(t.engine.disconnect).toHaveBeenCalled();
		expect(t.sounds.joined).toHaveBeenCalledTimes(2);
	});

	it('a Join about to be tapped loads the engine and asks the server nothing; the tap reuses that engine', async () => {
		t.room.prepare();
		await vi.waitFor(() => expect(t.loads).toHaveBeenCalledOnce());
		expect(t.requested).toEqual([]);
		expect(t.engine.prepare).not.toHaveBeenCalled(); // no grant yet: no LiveKit URL known
		await t.room.join('lobby');
		expect(t.loads).toHaveBeenCalledOnce();
		expect(t.engine.connects).toEqual([{ url: 'ws://lk', token: 't-lobby-1' }]);
	});

	it('after a call, a Join about to be tapped warms the last grant\'s LiveKit server; in a call it does nothing', async () => {
		await t.room.join('lobby');
		t.room.prepare();
		expect(t.engine.prepare).not.toHaveBeenCalled();
		await t.room.leave();
		t.room.prepare();
		await vi.waitFor(() => expect(t.engine.prepare).toHaveBeenCalledWith('ws://lk'));
		expect(t.requested).toEqual(['lobby']);
	});

	it('asks for the token first in the tap, then opens the call audio before anything is awaited', async () => {
		const order: string[] = [];
		const client = {
			getChannelToken: () => {
				order.push('token');
				return Promise.resolve({ livekitUrl: 'ws://lk', token: 't' });
			}
		} as unknown as ReturnType<typeof t.deps.client>;
		const audio = { open: () => void order.push('audio'), close: () => {} };
		const room = new VoiceRoom({ ...t.deps, client: () => client, audio });
		const joined = room.join('lobby');
		expect(order).toEqual(['token', 'audio']); // both before join's first await
		await joined;
		expect(room.status).toBe('connected');
	});

	it('loads the engine while the token request is still in flight, not after it', async () => {
		let answer!: () => void;
		const token = new Promise<{ livekitUrl: string; token: string }>((resolve) => (answer = () => resolve({ livekitUrl: 'ws://lk', token: 't' })));
		const loads = vi.fn(async () => t.engine);
		const client = { getChannelToken: () => token } as unknown as ReturnType<typeof t.deps.client>;
		const room = new VoiceRoom({ ...t.deps, client: () => client, engine: loads });
		const joined = room.join('lobby');
		await vi.waitFor(() => expect(loads).toHaveBeenCalledOnce());
		answer();
		await joined;
		expect(room.status).toBe('connected');
		expect(t.engine.connects).toEqual([{ url: 'ws://lk', token: 't' }]);
	});

	it('deafen mutes and silences everyone; undeafen restores the previous mute', async () => {
		await t.room.join('lobby');
		t.engine.listener!.people([alice, bob]);
		t.room.setVolume(bob.identity, 1.5);
		await t.room.toggleDeafen();
		expect(t.room.muted).toBe(true);
		expect(t.engine.micMuted).toBe(true);
		expect([...t.engine.gains.values()]).toEqual([0, 0]);
		await t.room.toggleDeafen();
		expect(t.room.muted).toBe(false);
		expect(t.engine.micMuted).toBe(false);
		expect(t.engine.gains.get(bob.identity)).toBe(1.5);
		expect(t.engine.gains.get(alice.identity)).toBe(1);

		await t.room.toggleMute();
		await t.room.toggleDeafen();
		await t.room.toggleDeafen();
		expect(t.room.muted).toBe(true);
	});

	it('a volume or local mute changes that person only', async () => {
		await t.room.join('lobby');
		t.engine.listener!.people([alice, bob]);
		t.room.setVolume(bob.identity, 0);
		t.room.setLocallyMuted(alice.identity, true);
		t.room.setLocallyMuted(alice.identity, false);
		expect(t.engine.gains.get(bob.identity)).toBe(0);
		expect(t.engine.gains.get(alice.identity)).toBe(1);
		t.room.setVolume(alice.identity, 5);
		expect(t.engine.gains.get(alice.identity)).toBe(2);
	});

	it('push-to-talk opens a muted mic only while held', async () => {
		await t.room.join('lobby');
		await t.room.toggleMute();
		await t.room.pushToTalk(true);
		expect(t.engine.micMuted).toBe(false);
		await t.room.pushToTalk(false);
		expect(t.engine.micMuted).toBe(true);
	});

	it('a lost call is rejoined with a new token, still muted', async () => {
		await t.room.join('lobby');
		await t.room.toggleMute();
		t.engine.listener!.link('reconnecting');
		expect(t.room.status).toBe('reconnecting');
		t.engine.listener!.link('disconnected', 'lost');
		await vi.waitFor(() => expect(t.engine.connects).toHaveLength(2));
		await vi.waitFor(() => expect(t.room.status).toBe('connected'));
		expect(t.engine.publishMic).toHaveBeenLastCalledWith(true);
		expect(t.announce).toHaveBeenCalledWith('Reconnected.');
	});

	it('a lost call’s rejoin says it is automatic and names the lost LiveKit session; a tap on Join never does', async () => {
		await t.room.join('lobby');
		t.engine.listener!.link('disconnected', 'lost');
		await vi.waitFor(() => expect(t.room.status).toBe('connected'));
		expect(t.rejoins).toEqual([null, 'PA_1']);
		// Lost again: the rejoin names the newer session, the one this device had last.
		t.engine.listener!.link('disconnected', 'lost');
		await vi.waitFor(() => expect(t.engine.connects).toHaveLength(3));
		expect(t.rejoins).toEqual([null, 'PA_1', 'PA_2']);
		await vi.waitFor(() => expect(t.room.status).toBe('connected'));
		await t.room.join('music');
		expect(t.rejoins).toEqual([null, 'PA_1', 'PA_2', null]);
	});

	it('a rejoin refused because the person is in a call on another device ends the call here as taken over: no retry, "Join here" takes it back', async () => {
		await t.room.join('lobby');
		t.refusals.push(new ConnectError('you are in a call on another device', Code.AlreadyExists));
		t.engine.listener!.link('disconnected', 'lost');
		await vi.waitFor(() => expect(t.room.ended).toEqual({ end: 'replaced', channelId: 'lobby' }));
		await new Promise((r) => setTimeout(r, 600)); // past the first retry's backoff
		expect(t.rejoins).toEqual([null, 'PA_1']);
		expect(t.room.status).toBe('idle');
		expect(t.room.error).toBeUndefined();
		expect(t.releaseWakeLock).toHaveBeenCalledOnce();
		expect(t.announce).toHaveBeenLastCalledWith('You joined on another device. This call ended here.');
		// "Join here" is a join the person asked for: not marked, so it takes the call over.
		await t.room.join('lobby');
		expect(t.rejoins).toEqual([null, 'PA_1', null]);
		expect(t.room.status).toBe('connected');
		expect(t.room.ended).toBeUndefined();
	});

	it('retries of a tap on Join that never connected stay that tap’s join, not automatic rejoins', async () => {
		await joinAfterOneNetworkFailure(t);
		expect(t.room.status).toBe('connected');
		expect(t.rejoins).toEqual([null, null]);
	});

	it('a resume LiveKit never finishes is given up after the deadline: rejoined with a new token, still muted', async () => {
		vi.useFakeTimers();
		try {
			await t.room.join('lobby');
			await t.room.toggleMute();
			const stuck = t.engine.listener!;
			stuck.link('reconnecting');
			await vi.advanceTimersByTimeAsync(RESUME_DEADLINE_MS - 1);
			expect(t.engine.connects).toHaveLength(1);
			await vi.advanceTimersByTimeAsync(1);
			expect(t.engine.connects).toEqual([{ url: 'ws://lk', token: 't-lobby-1' }, { url: 'ws://lk', token: 't-lobby-2' }]);
			expect(t.rejoins).toEqual([null, 'PA_1']); // an automatic rejoin too
			expect(t.room.status).toBe('connected');
			expect(t.engine.publishMic).toHaveBeenLastCalledWith(true);
			// The abandoned room's late events change nothing.
			stuck.link('disconnected', 'lost');
			await vi.advanceTimersByTimeAsync(RESUME_DEADLINE_MS);
			expect(t.engine.connects).toHaveLength(2);
			expect(t.room.status).toBe('connected');
		} finally {
			vi.useRealTimers();
		}
	});

	it('a resume that finishes in time keeps the room: no rejoin', async () => {
		vi.useFakeTimers();
		try {
			await t.room.join('lobby');
			t.engine.listener!.link('reconnecting');
			t.engine.listener!.link('connected');
			await vi.advanceTimersByTimeAsync(RESUME_DEADLINE_MS * 2);
			expect(t.engine.connects).toHaveLength(1);
			expect(t.room.status).toBe('connected');
		} finally {
			vi.useRealTimers();
		}
	});

	it('joins listen-only when the microphone is refused', async () => {
		t.engine.micProblem = 'denied';
		await t.room.join('lobby');
		expect(t.room.status).toBe('connected');
		expect(t.room.micProblem).toBe('denied');
		expect(t.room.micOpen).toBe(false);
	});

	it('announces who joins and leaves', async () => {
		await t.room.join('lobby');
		t.engine.listener!.people([alice]);
		t.engine.listener!.people([alice, bob]);
		t.engine.listener!.people([bob]);
		expect(t.announce).toHaveBeenCalledWith('bob.test joined.');
		expect(t.announce).toHaveBeenCalledWith('alice.test left.');
	});

	it('leaving disconnects and releases the wake lock', async () => {
		await t.room.join('lobby');
		await t.room.leave();
		expect(t.room.status).toBe('idle');
		expect(t.room.channelId).toBeUndefined();
		expect(t.releaseWakeLock).toHaveBeenCalledOnce();
		expect(t.sounds.left).toHaveBeenCalledOnce();
	});

	it('an unknown channel is refused with a message and no retry', async () => {
		t = setup(new ConnectError('no such channel', Code.NotFound));
		await t.room.join('nope');
		expect(t.room.error).toBe('This channel no longer exists.');
		expect(t.room.status).toBe('idle');
		expect(t.requested).toEqual(['nope']);
	});

	it('a browser that cannot make calls gets a final message: no token asked, no engine loaded, no sound opened', async () => {
		t = setup(undefined, () => false);
		await t.room.join('lobby');
		expect(t.room.error).toMatch(/^This browser can't make voice calls\. /);
		expect(t.room.status).toBe('idle');
		expect(t.room.channelId).toBeUndefined();
		expect(t.requested).toEqual([]);
		expect(t.loads).not.toHaveBeenCalled();
		expect(t.audio.open).not.toHaveBeenCalled();
		expect(t.releaseWakeLock).not.toHaveBeenCalled();
	});

	it('opens the call’s audio inside the Join tap, before anything is awaited', () => {
		const joined = t.room.join('lobby');
		// join() has not yielded yet: this is still the tap's synchronous handler.
		expect(t.audio.open).toHaveBeenCalledOnce();
		expect(t.requested).toEqual([]);
		return joined;
	});

	it('switching channels keeps one audio context; leaving closes it', async () => {
		await t.room.join('lobby');
		await t.room.join('music');
		expect(t.audio.close).not.toHaveBeenCalled();
		await t.room.leave();
		expect(t.audio.close).toHaveBeenCalledOnce();
		expect(t.sounds.left.mock.invocationCallOrder[0]).toBeLessThan(t.audio.close.mock.invocationCallOrder[0]!);
	});

	it('a final join error closes the call’s audio', async () => {
		t = setup(new ConnectError('no', Code.PermissionDenied));
		await t.room.join('lobby');
		expect(t.room.error).toBe('You are not allowed to join this channel.');
		expect(t.audio.open).toHaveBeenCalledOnce();
		expect(t.audio.close).toHaveBeenCalledOnce();
	});

	it('LiveKit’s “not supported” error is final when WebRTC is gone, not retried as a network failure', async () => {
		let webrtc = true;
		t = setup(undefined, () => webrtc);
		// WebRTC disappears between the check and the connect (an extension, a policy).
		t.engine.connect.mockImplementationOnce(async () => {
			webrtc = false;
			throw new Error("LiveKit doesn't seem to be supported on this browser.");
		});
		vi.useFakeTimers();
		try {
			await t.room.join('lobby');
			await vi.advanceTimersByTimeAsync(30_000); // far past every retry's backoff
		} finally {
			vi.useRealTimers();
		}
		expect(t.room.error).toMatch(/^This browser can't make voice calls/);
		expect(t.room.status).toBe('idle');
		expect(t.requested).toEqual(['lobby']);
		expect(t.engine.connect).toHaveBeenCalledOnce();
	});

	it('a network failure while joining in a browser that can call is retried, not final', async () => {
		await joinAfterOneNetworkFailure(t);
		expect(t.room.error).toBeUndefined();
		expect(t.room.status).toBe('connected');
		expect(t.requested).toEqual(['lobby', 'lobby']);
		expect(t.audio.open).toHaveBeenCalledOnce();
		expect(t.audio.close).not.toHaveBeenCalled();
	});

	it('a join attempt that fails is retried by one chain of attempts, though LiveKit also reports its room disconnected', async () => {
		// livekit-client ends the Room of a failed connect (Disconnected), then rejects connect.
		const failing = async (_u: string, _t: string, _c: unknown, _o: unknown, l: EngineListener) => {
			l.link('connecting');
			l.link('disconnected', 'lost');
			throw new Error('could not establish signal connection: websocket closed');
		};
		t.engine.connect.mockImplementationOnce(failing).mockImplementationOnce(failing);
		vi.useFakeTimers();
		try {
			const joined = t.room.join('lobby');
			await vi.advanceTimersByTimeAsync(30_000); // far past every retry's backoff
			await joined;
		} finally {
			vi.useRealTimers();
		}
		expect(t.room.status).toBe('connected');
		// Two failures, one success: three connects and three tokens, never one more.
		expect(t.engine.connect).toHaveBeenCalledTimes(3);
		expect(t.requested).toEqual(['lobby', 'lobby', 'lobby']);
		expect(t.engine.disconnect).toHaveBeenCalledTimes(2);
	});

	for (const end of ['replaced', 'removed', 'closed'] as const) {
		it(`a call the server ended (${end}) is final: never rejoined, and says why`, async () => {
			await t.room.join('lobby');
			t.engine.listener!.link('disconnected', end);
			await new Promise((r) => setTimeout(r, 50));
			expect(t.engine.connects).toHaveLength(1);
			expect(t.requested).toEqual(['lobby']);
			expect(t.room.status).toBe('idle');
			expect(t.room.ended).toEqual({ end, channelId: 'lobby' });
			expect(t.releaseWakeLock).toHaveBeenCalledOnce();
		});
	}

	it('a join answered by "another device took the call" is final too, and "Join here" takes it back', async () => {
		t.engine.connect.mockImplementationOnce(async () => {
			throw new CallEnded('replaced');
		});
		await t.room.join('lobby');
		await new Promise((r) => setTimeout(r, 50));
		expect(t.requested).toEqual(['lobby']);
		expect(t.room.ended).toEqual({ end: 'replaced', channelId: 'lobby' });
		await t.room.join('lobby');
		expect(t.room.status).toBe('connected');
		expect(t.room.ended).toBeUndefined();
	});
});

describe('a call engine that cannot load', () => {
	it('is a final error with a message, never an endless "Retrying…"', async () => {
		const t = setup();
		const loads = vi.fn(async (): Promise<VoiceEngine> => {
			throw new EngineUnavailable(new TypeError('Failed to fetch dynamically imported module'));
		});
		const room = new VoiceRoom({ ...t.deps, engine: loads });
		await room.join('lobby');
		await new Promise((r) => setTimeout(r, 600));
		expect(loads).toHaveBeenCalledOnce();
		expect(room.status).toBe('idle');
		expect(room.error).toBe('Calls can’t start: this version of Microclimate is out of date. Reload to update.');
	});
});
