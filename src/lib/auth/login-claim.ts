// Which tab a pending sign-in belongs to, and whether it is abandoned. Written by the login
// flow (claim, release), read by the connect screen's load (is the pending login someone's?).
//
// Why: the pending-login record is shared by every tab. A second tab (or a reload of any
// other page) must not delete a sign-in that still waits in another tab's popup, or that
// tab ends with "Sign-in cancelled." after the person approved. A pending login is gone
// only when its own tab drops it or when nobody can finish it any more:
// - its tab holds a Web Lock named after the attempt for as long as the attempt runs; the
//   browser releases it when that tab closes, reloads or crashes;
// - where Web Locks are missing, age decides: a popup sign-in can't finish after the
//   library's 5-minute popup timeout;
// - the tab that started it remembers the attempt in sessionStorage (which survives its own
//   reload), so a reload still reports "your sign-in did not finish" at once.
import type { PendingLogin } from './app-session.js';

/** The OAuth library rejects a popup sign-in after 5 minutes; a little slack on top. */
export const POPUP_LIFETIME_MS = 5 * 60_000 + 30_000;

const LOCK_PREFIX = 'microclimate:login:';
const OWN_KEY = 'microclimate:own-login';

/**
 * Marks attempt `id` as this tab's. Resolves once the claim is in place (the lock is
 * granted), so the pending record can be written after it; returns the release.
 */
export async function claimLogin(id: string): Promise<() => void> {
	rememberOwn(id);
	const locks = webLocks();
	if (!locks) return () => forgetOwn(id);
	let release!: () => void;
	const held = new Promise<void>((resolve) => (release = resolve));
	await new Promise<void>((granted) => {
		void locks.request(`${LOCK_PREFIX}${id}`, () => (granted(), held)).catch(() => granted());
	});
	return () => {
		release();
		forgetOwn(id);
	};
}

/**
 * True when nobody can finish `pending` any more (its tab is gone, or it outlived the
 * popup), or when it is this very tab's attempt from before a reload. A live attempt of
 * another tab is never abandoned.
 */
export async function isAbandoned(pending: PendingLogin, now = Date.now()): Promise<boolean> {
	if (now - pending.startedAt > POPUP_LIFETIME_MS) return true;
	const locks = webLocks();
	// A redirect sign-in has left its tab for the PDS page, so no lock can be held meanwhile;
	// only its own tab (back on /connect) or age ends it.
	if (pending.mode === 'redirect' || !locks) return readOwn() === pending.id;
	const state = await locks.query().catch(() => undefined);
	if (!state) return readOwn() === pending.id;
	const name = `${LOCK_PREFIX}${pending.id}`;
	return ![...(state.held ?? []), ...(state.pending ?? [])].some((lock) => lock.name === name);
}

function webLocks(): LockManager | undefined {
	return typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : undefined;
}

function rememberOwn(id: string): void {
	try {
		sessionStorage.setItem(OWN_KEY, id);
	} catch {
		// No sessionStorage (blocked storage): the lock or the age decides alone.
	}
}

function forgetOwn(id: string): void {
	try {
		if (sessionStorage.getItem(OWN_KEY) === id) sessionStorage.removeItem(OWN_KEY);
	} catch {
		// As above.
	}
}

function readOwn(): string | null {
	try {
		return sessionStorage.getItem(OWN_KEY);
	} catch {
		return null;
	}
}
