// The app session: which server this browser is signed in to, as whom, with which server
// JWT. Written by the login flow and by silent renewal, read by the route gate and the
// channels transport, removed by sign-out. It is ONE IndexedDB record, written and removed
// in one transaction, so no reader ever sees a half-written session. OAuth tokens and DPoP
// keys are not here: they stay in the OAuth library's own database.
//
// The pending-login record lives in the same store so that finishing a login (write the
// session, drop the pending record) is one transaction too.
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';

export interface AppSession {
	serverUrl: string;
	did: string;
	handle: string;
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
}

const SESSION_KEY = 'session';
const PENDING_KEY = 'pending-login';

let store: UseStore | undefined;
function db(): UseStore {
	store ??= createStore('microclimate', 'app');
	return store;
}

/** The single "am I signed in" check: a session only when every part is there together. */
export async function getSession(): Promise<AppSession | undefined> {
	const value: unknown = await db()('readonly', (s) => request(s.get(SESSION_KEY)));
	return isAppSession(value) ? value : undefined;
}

export async function saveSession(session: AppSession): Promise<void> {
	if (!isAppSession(session)) throw new TypeError('Refusing to save an incomplete session');
	await db()('readwrite', (s) => {
		s.put(session, SESSION_KEY);
		return promisifyRequest(s.transaction);
	});
}

/**
 * Writes the session and removes the pending login in one transaction, but only if the
 * pending login is still the one with `pendingId`: a login that was cancelled or replaced
 * meanwhile writes nothing.
 */
export async function completeLogin(session: AppSession, pendingId: string): Promise<boolean> {
	if (!isAppSession(session)) throw new TypeError('Refusing to save an incomplete session');
	return db()('readwrite', async (s) => {
		const pending = (await request(s.get(PENDING_KEY))) as PendingLogin | undefined;
		if (pending?.id !== pendingId) return false;
		s.put(session, SESSION_KEY);
		s.delete(PENDING_KEY);
		await promisifyRequest(s.transaction);
		return true;
	});
}

export async function clearSession(): Promise<void> {
	await db()('readwrite', (s) => {
		s.delete(SESSION_KEY);
		s.delete(PENDING_KEY);
		return promisifyRequest(s.transaction);
	});
}

export async function getPendingLogin(): Promise<PendingLogin | undefined> {
	const value: unknown = await db()('readonly', (s) => request(s.get(PENDING_KEY)));
	return isPendingLogin(value) ? value : undefined;
}

export async function savePendingLogin(pending: PendingLogin): Promise<void> {
	await db()('readwrite', (s) => {
		s.put(pending, PENDING_KEY);
		return promisifyRequest(s.transaction);
	});
}

/** Drops the pending login if it is still `id` (or any, without an id). */
export async function clearPendingLogin(id?: string): Promise<void> {
	await db()('readwrite', async (s) => {
		const pending = (await request(s.get(PENDING_KEY))) as PendingLogin | undefined;
		if (pending && (id === undefined || pending.id === id)) s.delete(PENDING_KEY);
		await promisifyRequest(s.transaction);
	});
}

function request<T>(req: IDBRequest<T>): Promise<T> {
	return promisifyRequest(req);
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
