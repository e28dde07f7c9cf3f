import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdWakeLock } from './wake-lock.js';

describe('holdWakeLock', () => {
	afterEach(() => vi.unstubAllGlobals());

	it('does nothing, and throws nothing, where the browser has no Wake Lock API (Safari before 16.4)', () => {
		vi.stubGlobal('navigator', {});
		const release = holdWakeLock();
		expect(() => release()).not.toThrow();
	});

	it('holds the screen on while visible, asks again when the page comes back, releases at the end', async () => {
		const listeners = new Map<string, () => void>();
		const doc = {
			visibilityState: 'visible',
			addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
			removeEventListener: (type: string) => listeners.delete(type)
		};
		const sentinel = { release: vi.fn(async () => {}) };
		const request = vi.fn(async () => sentinel);
		vi.stubGlobal('document', doc);
		vi.stubGlobal('navigator', { wakeLock: { request } });
		const release = holdWakeLock();
		expect(request).toHaveBeenCalledWith('screen');
		doc.visibilityState = 'hidden';
		listeners.get('visibilitychange')!();
		expect(request).toHaveBeenCalledOnce();
		doc.visibilityState = 'visible';
		listeners.get('visibilitychange')!();
		expect(request).toHaveBeenCalledTimes(2);
		await Promise.resolve();
		release();
		expect(sentinel.release).toHaveBeenCalled();
		expect(listeners.size).toBe(0);
	});

	it('a refused request (battery saver) is quiet: no unhandled rejection, which would fail this run', async () => {
		const request = vi.fn(async () => Promise.reject(new DOMException('no', 'NotAllowedError')));
		vi.stubGlobal('document', { visibilityState: 'visible', addEventListener() {}, removeEventListener() {} });
		vi.stubGlobal('navigator', { wakeLock: { request } });
		const release = holdWakeLock();
		await new Promise((r) => setTimeout(r, 0));
		release();
		expect(request).toHaveBeenCalledOnce();
	});
});
