import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { completeLogin, getPendingLogin, getSession, savePendingLogin, saveSession, StorageUnavailableError, type AppSession } from './app-session.js';

const alice: AppSession = { serverUrl: 'http://127.0.0.1:8080', did: 'did:plc:alice', handle: 'alice.test', token: 'jwt', expiresAt: Date.now() + 60_000 };

const realOpen = indexedDB.open;
const realTransaction = IDBDatabase.prototype.transaction;
const realDelete = IDBObjectStore.prototype.delete;
afterEach(() => {
	indexedDB.open = realOpen;
	IDBDatabase.prototype.transaction = realTransaction;
	IDBObjectStore.prototype.delete = realDelete;
});

/**
 * What a browser does when it closes a connection itself (storage cleared in the settings,
 * eviction, Safari losing its database server): IndexedDB's "close a database connection"
 * with the forced flag aborts each of the connection's running transactions with an
 * AbortError, then fires `close`. fake-indexeddb's forceCloseDatabase waits for running
 * transactions instead of aborting them, so the abort is done first with its own step of
 * the spec ("abort a transaction" with an error name).
 */
function closedByTheBrowser(db: IDBDatabase, running: IDBTransaction): void {
	(running as IDBTransaction & { _abort(errorName: string): void })._abort('AbortError');
	// Its declaration asks for the IDBDatabase class; it takes a connection (its source and README).
	forceCloseDatabase(db as unknown as typeof IDBDatabase);
}

/** Makes the browser close the connection under the first `times` transactions, as they start. */
function closeUnderTransactions(times: number): { closes: number; transactions: number } {
	const seen = { closes: 0, transactions: 0 };
	IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
		const tx = realTransaction.apply(this, args);
		seen.transactions++;
		if (seen.closes < times) {
			seen.closes++;
			queueMicrotask(() => closedByTheBrowser(this, tx));
		}
		return tx;
	};
	return seen;
}

describe('the app database when storage fails', () => {
	it('reports blocked storage as StorageUnavailableError, and opens anew once storage works', async () => {
		// Storage blocked in the settings: open throws (Firefox: SecurityError).
		indexedDB.open = () => {
			throw new DOMException('The operation is insecure.', 'SecurityError');
		};
		await expect(getSession()).rejects.toBeInstanceOf(StorageUnavailableError);
		indexedDB.open = realOpen;
		await saveSession(alice);
		expect(await getSession()).toEqual(alice);
	});

	it('drops a lost connection and carries on with a new one', async () => {
		await saveSession(alice);
		let lost = 0;
		IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
			if (lost++ === 0) throw new DOMException('Connection to Indexed Database server lost. Refresh the page to try again', 'UnknownError');
			return realTransaction.apply(this, args);
		};
		expect(await getSession()).toEqual(alice);
		expect(lost).toBe(2);
	});
});

describe('the app database when the browser closes the connection', () => {
	it('a connection closed under a running transaction is reopened and the operation runs again, not reported as a cancel', async () => {
		await saveSession(alice);
		const seen = closeUnderTransactions(1);
		expect(await getSession()).toEqual(alice);
		expect(seen).toEqual({ closes: 1, transactions: 2 });
		// The next operation uses the new connection.
		expect(await getSession()).toEqual(alice);
		expect(seen.transactions).toBe(3);
	});

	it('closed under the retry too: the storage page (StorageUnavailableError), not a cancel', async () => {
		await saveSession(alice);
		const seen = closeUnderTransactions(2);
		const failure = await getSession().catch((err: unknown) => err);
		expect(failure).toBeInstanceOf(StorageUnavailableError);
		expect(seen).toEqual({ closes: 2, transactions: 2 });
		IDBDatabase.prototype.transaction = realTransaction;
		expect(await getSession()).toEqual(alice);
	});

	it('a Cancel that aborts the login’s write is still a cancel: an AbortError, not retried, nothing written', async () => {
		await savePendingLogin({ id: 'attempt-1', serverUrl: alice.serverUrl, handle: alice.handle, startedAt: Date.now(), mode: 'popup' });
		const cancel = new AbortController();
		let transactions = 0;
		IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
			transactions++;
			return realTransaction.apply(this, args);
		};
		// The person presses Cancel while the session is being written.
		IDBObjectStore.prototype.delete = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
			const req = realDelete.call(this, query);
			cancel.abort();
			return req;
		};
		const failure = await completeLogin({ ...alice, handle: 'carol.test' }, 'attempt-1', cancel.signal).catch((err: unknown) => err);
		expect(failure).toBeInstanceOf(DOMException);
		expect((failure as DOMException).name).toBe('AbortError');
		expect(failure).not.toBeInstanceOf(StorageUnavailableError);
		expect(transactions).toBe(1);
		IDBDatabase.prototype.transaction = realTransaction;
		IDBObjectStore.prototype.delete = realDelete;
		expect((await getSession())?.handle).toBe('alice.test');
		expect((await getPendingLogin())?.id).toBe('attempt-1');
	});
});

describe('opening the database early (hooks.client.ts)', () => {
	/** A fresh copy of the database modules (no connection yet), and a count of opens. */
	async function fresh(failFirst = false) {
		vi.resetModules();
		const counter = { opens: 0 };
		indexedDB.open = (...args: Parameters<IDBFactory['open']>) => {
			if (counter.opens++ === 0 && failFirst) throw new DOMException('The operation is insecure.', 'SecurityError');
			return realOpen.apply(indexedDB, args);
		};
		return { counter, db: await import('./app-db.js'), sessions: await import('./app-session.js') };
	}

	it('the first read uses the connection opened early instead of opening another', async () => {
		const { counter, db, sessions } = await fresh();
		db.openEarly();
		expect(counter.opens).toBe(1);
		await sessions.saveSession(alice);
		expect(await sessions.getSession()).toEqual(alice);
		expect(counter.opens).toBe(1);
	});

	it('an early open that fails is not kept: the first read opens again and works', async () => {
		const { counter, db, sessions } = await fresh(true);
		db.openEarly();
		await sessions.saveSession(alice);
		expect(await sessions.getSession()).toEqual(alice);
		expect(counter.opens).toBe(2);
	});
});
