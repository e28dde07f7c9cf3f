import { describe, it, expect, beforeEach, vi } from 'vitest';
import { AppUpdate, type ServiceWorkerHandle } from './app-update.svelte.js';
import { UpdateBlockers } from './update-blockers.svelte.js';

type Listener = (event: { isExternal?: boolean }) => void;

function fakeWorker(waitingWorker: boolean) {
	const listeners = new Map<string, Listener[]>();
	const handle: ServiceWorkerHandle & { emit(type: string, event?: { isExternal?: boolean }): void } = {
		addEventListener: (type, listener) => listeners.set(type, [...(listeners.get(type) ?? []), listener]),
		register: async () => ({ waiting: waitingWorker ? {} : null }) as unknown as ServiceWorkerRegistration,
		update: vi.fn(async () => {}),
		messageSkipWaiting: vi.fn(),
		emit: (type, event = {}) => listeners.get(type)?.forEach((l) => l(event))
	};
	return handle;
}

describe('AppUpdate', () => {
	let blockers: UpdateBlockers;
	let reload: ReturnType<typeof vi.fn<() => void>>;
	beforeEach(() => {
		blockers = new UpdateBlockers();
		reload = vi.fn<() => void>();
	});

	function started(worker: ReturnType<typeof fakeWorker>) {
		const update = new AppUpdate({ createWorker: () => worker, reload, blockers });
		const stop = update.start();
		return { update, stop };
	}

	it('offers a waiting version and never reloads by itself', async () => {
		const worker = fakeWorker(true);
		const { update, stop } = started(worker);
		await Promise.resolve();
		expect(update.offered).toBe(false);
		worker.emit('waiting');
		expect(update.offered).toBe(true);
		worker.emit('controlling'); // another tab activated it
		expect(reload).not.toHaveBeenCalled();
		stop();
	});

	it('reloads only after the person asks, once the new worker controls the page', async () => {
		const worker = fakeWorker(true);
		const { update, stop } = started(worker);
		await Promise.resolve();
		worker.emit('waiting');
		update.apply();
		expect(worker.messageSkipWaiting).toHaveBeenCalledOnce();
		expect(reload).not.toHaveBeenCalled();
		worker.emit('controlling');
		expect(reload).toHaveBeenCalledOnce();
		stop();
	});

	it('waits while a call is active and offers the update when the call ends', async () => {
		const call = new (class {
			active = $state(true);
		})();
		const worker = fakeWorker(true);
		const { update, stop } = started(worker);
		await Promise.resolve();
		const remove = blockers.add(() => call.active);
		worker.emit('waiting');
		expect(update.available).toBe(true);
		expect(update.offered).toBe(false);
		update.apply(); // refused during the call
		expect(worker.messageSkipWaiting).not.toHaveBeenCalled();
		call.active = false;
		// `offered` reads the blocker each time: the prompt's template shows it again.
		expect(update.offered).toBe(true);
		update.apply();
		expect(worker.messageSkipWaiting).toHaveBeenCalledOnce();
		remove();
		stop();
	});

	it('offers a reload when a new version activated without waiting (page not controlled)', async () => {
		const worker = fakeWorker(false);
		const { update, stop } = started(worker);
		await Promise.resolve();
		worker.emit('activated', { isExternal: false });
		expect(update.offered).toBe(false);
		worker.emit('activated', { isExternal: true });
		expect(update.offered).toBe(true);
		update.apply();
		expect(reload).toHaveBeenCalledOnce();
		stop();
	});
});

describe('a lazy chunk that failed to load', () => {
	it('marks the page out of date, offers "Reload to update" and checks for the new version', async () => {
		const blockers = new UpdateBlockers();
		const reload = vi.fn<() => void>();
		const events = new EventTarget();
		const worker = fakeWorker(false);
		const update = new AppUpdate({ createWorker: () => worker, reload, blockers, events });
		const stop = update.start();
		const unwatch = update.watchChunks();
		await Promise.resolve();
		expect(update.offered).toBe(false);
		events.dispatchEvent(new Event('vite:preloadError'));
		expect(update.outdated).toBe(true);
		expect(update.offered).toBe(true);
		expect(worker.update).toHaveBeenCalled();
		update.apply();
		expect(reload).toHaveBeenCalledOnce();
		unwatch();
		stop();
	});
});

describe('the first install (issue 28, item 6: held in WebKit until she is signed in)', () => {
	it('registers at once on a device that already has a registration, and holds a first visit until the gate opens', async () => {
		const blockers = new UpdateBlockers();
		const reload = vi.fn<() => void>();
		let open!: () => void;
		const opened = new Promise<void>((resolve) => (open = resolve));
		const returning = fakeWorker(false);
		const registerReturning = vi.spyOn(returning, 'register');
		const first = fakeWorker(false);
		const registerFirst = vi.spyOn(first, 'register');
		const stops = [
			new AppUpdate({ createWorker: () => returning, reload, blockers, firstInstall: { registered: async () => true, opened } }).start(),
			new AppUpdate({ createWorker: () => first, reload, blockers, firstInstall: { registered: async () => false, opened } }).start()
		];
		await vi.waitFor(() => expect(registerReturning).toHaveBeenCalledOnce());
		await new Promise((r) => setTimeout(r, 10));
		expect(registerFirst).not.toHaveBeenCalled();
		open();
		await vi.waitFor(() => expect(registerFirst).toHaveBeenCalledOnce());
		stops.forEach((stop) => stop());
	});

	it('a first visit stopped before the gate opened registers nothing', async () => {
		let open!: () => void;
		const opened = new Promise<void>((resolve) => (open = resolve));
		const worker = fakeWorker(false);
		const register = vi.spyOn(worker, 'register');
		const update = new AppUpdate({ createWorker: () => worker, reload: vi.fn(), blockers: new UpdateBlockers(), firstInstall: { registered: async () => false, opened } });
		update.start()();
		open();
		await new Promise((r) => setTimeout(r, 10));
		expect(register).not.toHaveBeenCalled();
	});
});
