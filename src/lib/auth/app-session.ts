// The app session: which server this browser is signed in to, as whom, with which server
// JWT. Written by the login flow and by silent renewal, read by the route gate and the
// channels transport, removed by sign-out. It is ONE IndexedDB record, written and removed
// in one transaction, so no reader ever sees a half-written session. OAuth tokens and DPoP
// keys are not here: they stay in the OAuth library's own database.
//
// The pending-login record lives in the same store so that finishing a login (write the
// session, drop the pending record) is one transaction too. Renewal's read-and-write is
// one conditional transaction as well (replaceSession). Opening the database and its
// failures are app-db.ts's job.
import { request, withStore } from './app-db.js';
import { forgetSignOut, rememberSignOut, signedOutEarlier } from './signed-out-marker.js';

export { StorageUnavailableError } from './app-db.js';

export interface AppSession {
	serverUrl: string;
	did: string;
	handle: string;
	/** Their profile's display name and avatar URL as the server read them at sign-in or renewal; may be empty. */
	displayName?: string;
	avatarUrl?: string;
	token: string;
	/** Epoch milliseconds after which the server refuses `token`. */
	expiresAt: number;
}

export interface PendingLogin {
	/** Random id of the attempt: a late finisher only completes its own attempt. */
	id: string;
	serverUrl: string;
	handle: string;
	startedAt: number;
	mode: 'popup' | 'redirect';
	/** The channel of the shared link the person arrived by; signed in, they land on it (never joined). */
	channel?: string;
}

const SESSION_KEY = 'session';
const PENDING_KEY = 'pending-login';
/**
 * The last known channel list of this session (written by $lib/channels/last-known.ts, never
 * a token): it belongs to the session and is removed with it, in the same transaction.
 */
export const LAST_KNOWN_KEY = 'last-known-channels';

/** The single "am I signed in" check: a session only when every part is there together. */
export async function getSession(): Promise<AppSession | undefined> {
	const value: unknown = await withStore('readonly', (s) => request(s.get(SESSION_KEY)));
	if (!isAppSession(value)) return undefined;
	if (!signedOutEarlier(value)) return value;
	// A sign-out whose delete failed: it stays signed out, and the delete is tried again.
	await clearSession().catch(() => {});
	return undefined;
}

export async function saveSession(session: AppSession): Promise<void> {
	if (!isAppSession(session)) throw new TypeError('Refusing to save an incomplete session');
	await withStore('readwrite', async (s) => void s.put(session, SESSION_KEY));
	forgetSignOut();
}

/**
 * Writes the session and removes the pending login in one transaction, but only if the
 * pending login is still the one with `pendingId`: a login that was cancelled or replaced
 * meanwhile writes nothing. A `signal` that aborts while the write is in flight aborts the
 * transaction, so a Cancel that lands then writes nothing either.
 */
export async function completeLogin(session: AppSession, pendingId: string, signal?: AbortSignal): Promise<boolean> {
	if (!isAppSession(session)) throw new TypeError('Refusing to save an incomplete session');
	const done = await withStore('readwrite', async (s) => {
		const pending = (await request(s.get(PENDING_KEY))) as PendingLogin | undefined;
		if (pending?.id !== pendingId || signal?.aborted) return false;
		s.put(session, SESSION_KEY);
		s.delete(PENDING_KEY);
		// Until the commit, a Cancel rolls the whole write back (rejecting with AbortError).
		const abort = () => s.transaction.abort();
		if (signal?.aborted) abort();
		signal?.addEventListener('abort', abort, { once: true });
		s.transaction.addEventListener('complete', () => signal?.removeEventListener('abort', abort));
		return true;
	});
	if (done) forgetSignOut();
	return done;
}

export type Replacement =
	| { outcome: 'written' }
	/** Signed out meanwhile: nothing was written. */
	| { outcome: 'gone' }
	/** Another tab replaced the record meanwhile: nothing was written; here is theirs. */
	| { outcome: 'replaced'; stored: AppSession };

/**
 * Renewal's write: in ONE transaction, replaces the stored session with `next` only if it
 * is still exactly `expected` (the record renewal started from). A sign-out or another
 * tab's renewal that landed in between wins, and is never undone.
 */
export async function replaceSession(expected: AppSession, next: AppSession): Promise<Replacement> {
	if (!isAppSession(next)) throw new TypeError('Refusing to save an incomplete session');
	return withStore('readwrite', async (s): Promise<Replacement> => {
		const stored: unknown = await request(s.get(SESSION_KEY));
		if (!isAppSession(stored) || signedOutEarlier(stored)) return { outcome: 'gone' };
		if (!sameRecord(stored, expected)) return { outcome: 'replaced', stored };
		s.put(next, SESSION_KEY);
		return { outcome: 'written' };
	});
}

/** Removes the session only if it is still `expected` (e.g. a cancelled login's write). */
export async function removeSessionIf(expected: AppSession): Promise<void> {
	await withStore('readwrite', async (s) => {
		const stored: unknown = await request(s.get(SESSION_KEY));
		if (isAppSession(stored) && sameRecord(stored, expected)) s.delete(SESSION_KEY);
	});
}

/**
 * Removes the session and any pending login as one. When the delete fails (storage lost
 * meanwhile), `was` is remembered as signed out elsewhere (localStorage), so the record
 * left behind never signs anyone back in on the next load; then the failure is rethrown.
 */
export async function clearSession(was?: AppSession): Promise<void> {
	try {
		await withStore('readwrite', async (s) => {
			s.delete(SESSION_KEY);
			s.delete(PENDING_KEY);
			s.delete(LAST_KNOWN_KEY);
		});
		forgetSignOut();
	} catch (err) {
		if (was) rememberSignOut(was);
		throw err;
	}
}

/**
 * Writes `value` under `key` beside the session, in one transaction, only while the stored
 * session is still `owner`'s (same DID, same server): a write that lands after a sign-out or
 * a server change writes nothing, so nothing outlives the session it belonged to.
 */
export async function putBesideSession(key: string, value: unknown, owner: Pick<AppSession, 'did' | 'serverUrl'>): Promise<boolean> {
	return withStore('readwrite', async (s) => {
		const stored: unknown = await request(s.get(SESSION_KEY));
		if (!isAppSession(stored) || signedOutEarlier(stored)) return false;
		if (stored.did !== owner.did || stored.serverUrl !== owner.serverUrl) return false;
		s.put(value, key);
		return true;
	});
}

export async function getPendingLogin(): Promise<PendingLogin | undefined> {
	const value: unknown = await withStore('readonly', (s) => request(s.get(PENDING_KEY)));
	return isPendingLogin(value) ? value : undefined;
}

export async function savePendingLogin(pending: PendingLogin): Promise<void> {
	await withStore('readwrite', async (s) => void s.put(pending, PENDING_KEY));
}

/** Drops the pending login if it is still `id` (or any, without an id). */
export async function clearPendingLogin(id?: string): Promise<void> {
	await withStore('readwrite', async (s) => {
		const pending = (await request(s.get(PENDING_KEY))) as PendingLogin | undefined;
		if (pending && (id === undefined || pending.id === id)) s.delete(PENDING_KEY);
	});
}

/** The same stored record: same person, same server, same JWT. */
export function sameRecord(a: AppSession, b: AppSession): boolean {
	return a.token === b.token && a.did === b.did && a.serverUrl === b.serverUrl;
}

function isAppSession(v: unknown): v is AppSession {
	if (typeof v !== 'object' || v === null) return false;
	const s = v as Record<string, unknown>;
	return (
		typeof s.serverUrl === 'string' && s.serverUrl !== '' &&
		typeof s.did === 'string' && s.did.startsWith('did:') &&
		typeof s.token === 'string' && s.token !== '' &&
		typeof s.handle === 'string' &&
		typeof s.expiresAt === 'number'
	);
}

function isPendingLogin(v: unknown): v is PendingLogin {
	if (typeof v !== 'object' || v === null) return false;
	const p = v as Record<string, unknown>;
	return typeof p.id === 'string' && typeof p.serverUrl === 'string' && typeof p.handle === 'string' && typeof p.startedAt === 'number';
}
