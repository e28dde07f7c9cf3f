import { describe, expect, it, vi } from 'vitest';
import { EngineLoader, PREPARE_EVERY_MS } from './engine-loader.js';
import type { VoiceEngine } from './voice-engine.js';

function fakeEngine() {
	return { prepare: vi.fn(async () => {}) } as unknown as VoiceEngine & { prepare: ReturnType<typeof vi.fn> };
}

describe('EngineLoader', () => {
	it('loads the engine once however often it is asked, also while the first load is in flight', async () => {
		const engine = fakeEngine();
		const factory = vi.fn(async () => engine);
		const loader = new EngineLoader(factory);
		const [a, b] = await Promise.all([loader.engine(), loader.engine()]);
		expect(await loader.engine()).toBe(engine);
		expect(a).toBe(b);
		expect(factory).toHaveBeenCalledOnce();
	});

	it('tries the load again after a failed one', async () => {
		const engine = fakeEngine();
		const factory = vi.fn<() => Promise<VoiceEngine>>().mockRejectedValueOnce(new Error('chunk gone')).mockResolvedValue(engine);
		const loader = new EngineLoader(factory);
		await expect(loader.engine()).rejects.toThrow('chunk gone');
		expect(await loader.engine()).toBe(engine);
		expect(factory).toHaveBeenCalledTimes(2);
	});

	it('a failed load during prepare is not an unhandled rejection', async () => {
		const loader = new EngineLoader(async () => Promise.reject(new Error('chunk gone')));
		const unhandled = vi.fn();
		process.on('unhandledRejection', unhandled);
		loader.prepare();
		await new Promise((r) => setTimeout(r, 10));
		process.off('unhandledRejection', unhandled);
		expect(unhandled).not.toHaveBeenCalled();
	});

	it('warms the last remembered LiveKit URL, at most once per interval, and a new URL at once', async () => {
		const engine = fakeEngine();
		let now = 1_000;
		const loader = new EngineLoader(async () => engine, () => now);
		loader.prepare();
		await loader.engine();
		expect(engine.prepare).not.toHaveBeenCalled();
		loader.remember('wss://lk.example');
		loader.prepare();
		loader.prepare();
		await vi.waitFor(() => expect(engine.prepare).toHaveBeenCalledOnce());
		expect(engine.prepare).toHaveBeenCalledWith('wss://lk.example');
		now += PREPARE_EVERY_MS - 1;
		loader.prepare();
		loader.remember('wss://lk2.example');
		loader.prepare();
		now += PREPARE_EVERY_MS;
		loader.prepare();
		await new Promise((r) => setTimeout(r, 0));
		expect(engine.prepare.mock.calls).toEqual([['wss://lk.example'], ['wss://lk2.example'], ['wss://lk2.example']]);
	});
});
