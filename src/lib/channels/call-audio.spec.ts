import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallAudio } from './call-audio.js';
import { callSounds } from './call-sounds.js';

/** Just enough of an AudioContext to follow its life: state, resume, close. */
class FakeContext {
	state: AudioContextState = 'suspended';
	resumes = 0;
	oscillators = 0;
	currentTime = 0;
	destination = {};
	resume = vi.fn(async () => {
		this.resumes++;
		this.state = 'running';
	});
	close = vi.fn(async () => void (this.state = 'closed'));
	createOscillator() {
		this.oscillators++;
		const node = { type: '', frequency: param(), connect: (n: unknown) => n, start() {}, stop() {} };
		return node;
	}
	createGain() {
		return { gain: param(), connect: (n: unknown) => n };
	}
}
const param = () => ({ setValueAtTime() {}, exponentialRampToValueAtTime() {} });

describe('CallAudio', () => {
	let made: FakeContext[];
	let audio: CallAudio;
	beforeEach(() => {
		vi.useFakeTimers();
		made = [];
		audio = new CallAudio({ create: () => (made.push(new FakeContext()), made.at(-1) as unknown as AudioContext), graceMs: 400 });
	});
	afterEach(() => vi.useRealTimers());

	it('open() creates and resumes the context synchronously, in the tap', () => {
		expect(audio.context).toBeUndefined();
		audio.open();
		expect(made).toHaveLength(1);
		expect(made[0]!.resume).toHaveBeenCalledOnce(); // called before open() returned
	});

	it('one context per call: opening again reuses it', () => {
		audio.open();
		audio.open();
		expect(made).toHaveLength(1);
	});

	it('close() ends the context after a grace, and the next call gets a fresh one', async () => {
		const first = audio.open();
		audio.close();
		expect(made[0]!.close).not.toHaveBeenCalled(); // the leave blip still plays
		await vi.advanceTimersByTimeAsync(400);
		expect(made[0]!.close).toHaveBeenCalledOnce();
		expect(audio.context).toBeUndefined();
		expect(audio.open()).not.toBe(first);
		expect(made).toHaveLength(2);
	});

	it('a join within the grace keeps the context open', async () => {
		const first = audio.open();
		audio.close();
		expect(audio.open()).toBe(first);
		await vi.advanceTimersByTimeAsync(1000);
		expect(made[0]!.close).not.toHaveBeenCalled();
	});

	it('resume() (the “Tap to enable audio” button) resumes a suspended context once', async () => {
		audio.open();
		await audio.resume();
		expect(made[0]!.resumes).toBe(1); // already running: nothing more
		made[0]!.state = 'suspended'; // iOS suspends it mid-call
		await audio.resume();
		expect(made[0]!.resumes).toBe(2);
	});

	it('a refused resume is quiet: the banner stays instead of an unhandled rejection', async () => {
		const ctx = audio.open() as unknown as FakeContext;
		ctx.state = 'suspended';
		ctx.resume.mockRejectedValueOnce(new DOMException('not allowed', 'NotAllowedError'));
		await expect(audio.resume()).resolves.toBeUndefined();
	});
});

describe('callSounds', () => {
	it('play on the call’s context while it runs, never on one of their own', async () => {
		const made: FakeContext[] = [];
		const audio = new CallAudio({ create: () => (made.push(new FakeContext()), made.at(-1) as unknown as AudioContext) });
		const sounds = callSounds(audio);
		sounds.joined(); // no call: no context is created for a blip
		expect(made).toHaveLength(0);
		audio.open();
		made[0]!.state = 'suspended'; // sound not allowed yet
		sounds.joined();
		expect(made[0]!.oscillators).toBe(0);
		made[0]!.state = 'running';
		sounds.joined();
		sounds.left();
		expect(made[0]!.oscillators).toBe(2);
		expect(made).toHaveLength(1);
	});
});
