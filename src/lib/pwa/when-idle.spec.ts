import { describe, expect, it, vi } from 'vitest';
import { whenIdle } from './when-idle.js';

describe('whenIdle', () => {
	it('waits for an idle period (bounded by the timeout), and a cancel stops it', () => {
		const callbacks: Array<() => void> = [];
		const target = {
			requestIdleCallback: vi.fn((cb: () => void, options: { timeout: number }) => {
				expect(options.timeout).toBe(1500);
				callbacks.push(cb);
				return callbacks.length;
			}),
			cancelIdleCallback: vi.fn()
		} as unknown as Window;
		const work = vi.fn();
		const cancel = whenIdle(work, 1500, target);
		expect(work).not.toHaveBeenCalled();
		callbacks[0]!();
		expect(work).toHaveBeenCalledTimes(1);
		cancel();
		expect(target.cancelIdleCallback).toHaveBeenCalledWith(1);
	});

	it('falls back to a timeout where the browser has no idle callbacks', () => {
		vi.useFakeTimers();
		try {
			const work = vi.fn();
			const target = { setTimeout, clearTimeout } as unknown as Window;
			whenIdle(work, 2000, target);
			vi.advanceTimersByTime(499);
			expect(work).not.toHaveBeenCalled();
			vi.advanceTimersByTime(1);
			expect(work).toHaveBeenCalledTimes(1);
			const stopped = vi.fn();
			whenIdle(stopped, 2000, target)();
			vi.advanceTimersByTime(1000);
			expect(stopped).not.toHaveBeenCalled();
		} finally {
			vi.useRealTimers();
		}
	});
});
