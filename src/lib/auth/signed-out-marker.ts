// The sign-out marker: who was signed out while deleting their session record failed
// (storage lost at that moment). Written by clearSession when the delete fails, read by
// every later read of the record, dropped once a delete or a new sign-in succeeds. With
// it, a record left behind never signs the person back in on the next load. It lives in
// localStorage because IndexedDB is what just failed; it holds no secret (no token).
import type { AppSession } from './app-session.js';

const SIGNED_OUT_KEY = 'microclimate:signed-out';

export function rememberSignOut(was: Pick<AppSession, 'did' | 'serverUrl'>): void {
	try {
		localStorage.setItem(SIGNED_OUT_KEY, `${was.did} ${was.serverUrl}`);
	} catch {
		// localStorage is blocked too: nothing more this browser lets us do.
	}
}

export function forgetSignOut(): void {
	try {
		localStorage.removeItem(SIGNED_OUT_KEY);
	} catch {
		// As above.
	}
}

export function signedOutEarlier(s: Pick<AppSession, 'did' | 'serverUrl'>): boolean {
	try {
		return localStorage.getItem(SIGNED_OUT_KEY) === `${s.did} ${s.serverUrl}`;
	} catch {
		return false;
	}
}
