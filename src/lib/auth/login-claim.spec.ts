import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PendingLogin } from './app-session.js';
import { claimLogin, isAbandoned, POPUP_LIFETIME_MS } from './login-claim.js';

function pending(id: string, overrides: Partial<PendingLogin> = {}): PendingLogin {
	return { id, serverUrl: 'http://127.0.0.1:8080', handle: 'alice.test', startedAt: Date.now(), mode: 'popup', ...overrides };
}

/** sessionStorage of one tab. */
function tabStorage() {
	const items = new Map<string, string>();
	return {
		getItem: (k: string) => items.get(k) ?? null,
		setItem: (k: string, v: string) => void items.set(k, v),
		removeItem: (k: string) => void items.delete(k)
	};
}

/** A lock manager shared by the "tabs" of one test, as the browser's is. */
function fakeLocks() {
	const held = new Set<string>();
	return {
		request: async (name: string, callback: () => Promise<void>) => {
			held.add(name);
			try {
				await callback();
			} finally {
				held.delete(name);
			}
		},
		query: async () => ({ held: [...held].map((name) => ({ name, mode: 'exclusive' })), pending: [] })
	};
}

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('pending sign-ins and other tabs (Web Locks)', () => {
	it('a sign-in claimed by a live tab is not abandoned; once its tab lets go, it is', async () => {
		vi.stubGlobal('navigator', { locks: fakeLocks() });
		vi.stubGlobal('sessionStorage', tabStorage());
		const release = await claimLogin('a');
		vi.stubGlobal('sessionStorage', tabStorage()); // now look from another tab
		expect(await isAbandoned(pending('a'))).toBe(false);
		release();
		await new Promise((r) => setTimeout(r));
		expect(await isAbandoned(pending('a'))).toBe(true);
	});

	it('a redirect sign-in (its tab is away at the PDS) is left alone until it outlives the popup', async () => {
		vi.stubGlobal('navigator', { locks: fakeLocks() });
		vi.stubGlobal('sessionStorage', tabStorage());
		expect(await isAbandoned(pending('r', { mode: 'redirect' }))).toBe(false);
		expect(await isAbandoned(pending('r', { mode: 'redirect', startedAt: Date.now() - POPUP_LIFETIME_MS - 1 }))).toBe(true);
	});
});

describe('pending sign-ins without Web Locks', () => {
	it('another tab’s fresh sign-in is left alone; one older than the popup’s lifetime is abandoned', async () => {
		vi.stubGlobal('navigator', {});
		vi.stubGlobal('sessionStorage', tabStorage());
		expect(await isAbandoned(pending('b'))).toBe(false);
		expect(await isAbandoned(pending('b', { startedAt: Date.now() - POPUP_LIFETIME_MS - 1 }))).toBe(true);
	});

	it('the tab that started a sign-in knows it after its own reload', async () => {
		vi.stubGlobal('navigator', {});
		const tab = tabStorage();
		vi.stubGlobal('sessionStorage', tab);
		await claimLogin('mine');
		// A reload keeps the tab's sessionStorage, not its memory.
		expect(await isAbandoned(pending('mine'))).toBe(true);
		expect(await isAbandoned(pending('theirs'))).toBe(false);
	});
});
