import { describe, expect, it } from 'vitest';
import { nextRetryDelayMs } from './reconnect-policy.js';

describe('call reconnect policy', () => {
	it('retries at once, then within a second, with jitter', () => {
		const mid = () => 0.5;
		expect(nextRetryDelayMs({ retryCount: 0, elapsedMs: 0 }, mid)).toBe(0);
		expect(nextRetryDelayMs({ retryCount: 1, elapsedMs: 0 }, mid)).toBe(250);
		expect(nextRetryDelayMs({ retryCount: 9, elapsedMs: 5000 }, mid)).toBe(1000);
		expect(nextRetryDelayMs({ retryCount: 9, elapsedMs: 5000 }, () => 0)).toBe(800);
		expect(nextRetryDelayMs({ retryCount: 9, elapsedMs: 5000 }, () => 1)).toBe(1200);
	});

	it('gives up after a minute', () => {
		expect(nextRetryDelayMs({ retryCount: 40, elapsedMs: 60_000 })).toBeNull();
	});
});
