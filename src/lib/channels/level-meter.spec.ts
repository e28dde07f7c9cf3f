import { afterEach, describe, expect, it, vi } from 'vitest';
import { meterLevel, speakingGate } from './level-meter.js';

describe('meterLevel', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
		vi.useRealTimers();
	});

	it('measures on the AudioContext it is given (the call’s), never one of its own', () => {
		vi.useFakeTimers();
		vi.stubGlobal('MediaStream', class {});
		vi.stubGlobal('AudioContext', class {
			constructor() {
				throw new Error('the meter must not open its own AudioContext');
			}
		});
		const source = { connect: vi.fn(), disconnect: vi.fn() };
		const analyser = { fftSize: 0, disconnect: vi.fn(), getFloatTimeDomainData: (a: Float32Array) => a.fill(0.1) };
		const ctx = { createMediaStreamSource: vi.fn(() => source), createAnalyser: () => analyser } as unknown as AudioContext;
		const levels: number[] = [];
		const stop = meterLevel(ctx, {} as MediaStreamTrack, (l) => levels.push(l));
		vi.advanceTimersByTime(100);
		expect(levels).toHaveLength(2);
		expect(levels[0]).toBeCloseTo(0.4); // RMS 0.1, stretched ×4
		stop();
		expect(source.disconnect).toHaveBeenCalled();
		vi.advanceTimersByTime(100);
		expect(levels).toHaveLength(2);
	});
});

describe('speakingGate', () => {
	it('holds "speaking" briefly after the last loud level', () => {
		let now = 0;
		const gate = speakingGate(0.06, 300, () => now);
		expect(gate(0.01)).toBe(false);
		expect(gate(0.2)).toBe(true);
		now = 200;
		expect(gate(0.01)).toBe(true);
		now = 400;
		expect(gate(0.01)).toBe(false);
	});
});
