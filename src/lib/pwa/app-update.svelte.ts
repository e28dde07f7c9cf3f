// The installed service worker and the updates it finds. Started by the root layout;
// read by the update prompt. A new version is installed in the background and waits;
// the page never reloads by itself: only the person's "reload" activates it, and never
// while an update blocker (a call) is active — the offer shows again when the call ends.
// A lazy chunk that fails to load (the OAuth client, the call engine: gone from the host
// after a new version was deployed) marks this page out of date: the prompt then offers
// "Reload to update" at once, and a check for the new version starts.
import { updateBlockers, type UpdateBlockers } from './update-blockers.svelte.js';
import { firstInstall } from './first-install.js';

/** What AppUpdate needs from workbox-window; a fake in unit tests. */
export interface ServiceWorkerHandle {
	addEventListener(type: 'waiting' | 'controlling' | 'activated', listener: (event: { isExternal?: boolean }) => void): void;
	register(): Promise<ServiceWorkerRegistration | undefined>;
	update(): Promise<void>;
	messageSkipWaiting(): void;
}

export interface AppUpdateDeps {
	createWorker: () => ServiceWorkerHandle;
	reload: () => void;
	blockers: UpdateBlockers;
	/** Where Vite reports a lazy chunk that failed to load (`vite:preloadError`); window in the browser. */
	events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
	/**
	 * Holds the registration on a first visit (first-install.ts): `registered` says whether
	 * this device already has one; without it, register() waits for `opened`. None: at once.
	 */
	firstInstall?: { registered(): Promise<boolean>; opened: Promise<void> };
}

/** How often an open app asks the server for a new version (besides focus and reconnect). */
const CHECK_EVERY_MS = 30 * 60 * 1000;

export class AppUpdate {
	#waiting = $state(false);
	#outdated = $state(false);
	#applying = false;
	#worker: ServiceWorkerHandle | undefined;
	#registration: ServiceWorkerRegistration | undefined;
	#deps: AppUpdateDeps;

	constructor(deps: AppUpdateDeps) {
		this.#deps = deps;
	}

	/** A new version is installed and waiting for a reload. */
	get available(): boolean {
		return this.#waiting;
	}

	/** A part of this version could not be loaded any more: only a reload brings it back. */
	get outdated(): boolean {
		return this.#outdated;
	}

	/** Reactive: the prompt should show (an update waits, or this page is out of date, and nothing blocks a reload). */
	get offered(): boolean {
		return (this.#waiting || this.#outdated) && !this.#deps.blockers.active;
	}

	/** A lazy chunk failed to load: this page's version is gone from the host. */
	chunkFailed(): void {
		this.#outdated = true;
		void this.check();
	}

	/** Registers the worker and checks for updates now and then; returns the stop function. */
	start(): () => void {
		const worker = (this.#worker = this.#deps.createWorker());
		worker.addEventListener('waiting', () => (this.#waiting = true));
		// A page no worker controls yet (the first visit) does not hold the new version back:
		// it activates at once, and this page still runs the old one. Offer the reload too.
		worker.addEventListener('activated', (event) => {
			if (event.isExternal) this.#waiting = true;
		});
		// Another tab may activate the new worker; only this tab's own "reload" reloads it.
		worker.addEventListener('controlling', () => {
			if (this.#applying) this.#deps.reload();
		});
		const register = () =>
			worker.register().then(
				(registration) => (this.#registration = registration),
				() => {} // no worker (private mode, an old browser): the app still runs online
			);
		const held = this.#deps.firstInstall;
		if (!held) void register();
		else
			void held.registered().then(
				async (yes) => {
					if (!yes) await held.opened;
					if (this.#worker === worker) await register();
				},
				() => {} // no service worker container here: nothing to register
			);
		const timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
		return () => {
			clearInterval(timer);
			this.#worker = undefined;
		};
	}

	/**
	 * Listens for lazy chunks that fail to load, with or without a service worker; returns
	 * the stop function. Not prevented: the import still fails for its caller, which says so
	 * in its own words (the call: a final error).
	 */
	watchChunks(): () => void {
		const failed = () => this.chunkFailed();
		this.#deps.events?.addEventListener('vite:preloadError', failed);
		return () => this.#deps.events?.removeEventListener('vite:preloadError', failed);
	}

	/** Asks the server whether a new version exists (on focus, on reconnect, on a timer). */
	async check(): Promise<void> {
		await this.#worker?.update().catch(() => {});
	}

	/** The person chose to reload. Refused while a blocker is active. */
	apply(): void {
		if (!(this.#waiting || this.#outdated) || this.#deps.blockers.active) return;
		this.#applying = true;
		if (this.#registration?.waiting) this.#worker?.messageSkipWaiting();
		// Already activated from another tab: this tab only needs to load the new version.
		else this.#deps.reload();
	}

	reset(): void {
		this.#waiting = false;
		this.#outdated = false;
		this.#applying = false;
		this.#worker = undefined;
		this.#registration = undefined;
	}
}

/**
 * workbox-window, imported only once the first screen is up: showing the screen does not
 * need it, and it keeps the signed-in screen's first load under its budget. Calls made
 * before it arrives are queued in order, so listeners are in place before register().
 */
function lazyWorkbox(url: string): ServiceWorkerHandle {
	const workbox = import('workbox-window').then(({ Workbox }) => new Workbox(url, { scope: '/' }));
	// Offline before the chunk was ever cached, the import fails: then there is no update
	// machinery (and nothing to update from). register() and update() report it to their
	// callers; the calls that return nothing must not leave unhandled rejections behind.
	const unavailable = () => {};
	return {
		addEventListener: (type, listener) => void workbox.then((w) => w.addEventListener(type, listener), unavailable),
		register: () => workbox.then((w) => w.register()),
		update: () => workbox.then((w) => w.update()),
		messageSkipWaiting: () => void workbox.then((w) => w.messageSkipWaiting(), unavailable)
	};
}

export const appUpdate = new AppUpdate({
	createWorker: () => lazyWorkbox('/sw.js'),
	reload: () => location.reload(),
	blockers: updateBlockers,
	events: typeof window === 'undefined' ? undefined : window,
	firstInstall: {
		registered: () => navigator.serviceWorker.getRegistration('/').then((r) => r !== undefined),
		opened: firstInstall.opened
	}
});
