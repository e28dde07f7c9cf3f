import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
	it('doubles the ceiling with each attempt and stays within [ceiling/2, ceiling]', () => {
		expect(backoffDelay(0, { random: () => 0 })).toBe(250);
		expect(backoffDelay(0, { random: () => 0.999999 })).toBe(500);
		expect(backoffDelay(3, { random: () => 0 })).toBe(2000);
		expect(backoffDelay(3, { random: () => 0.999999 })).toBe(4000);
	});

	it('is capped', () => {
		expect(backoffDelay(30, { random: () => 0.999999, maxMs: 15_000 })).toBe(15_000);
		expect(backoffDelay(30, { random: () => 0 })).toBe(7500);
	});

	it('spreads clients apart (jitter)', () => {
		const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
		expect(delays.size).toBeGreaterThan(1);
	});
});
