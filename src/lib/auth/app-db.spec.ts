import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSession, saveSession, StorageUnavailableError, type AppSession } from './app-session.js';

const alice: AppSession = { serverUrl: 'http://127.0.0.1:8080', did: 'did:plc:alice', handle: 'alice.test', token: 'jwt', expiresAt: Date.now() + 60_000 };

const realOpen = indexedDB.open;
const realTransaction = IDBDatabase.prototype.transaction;
afterEach(() => {
	indexedDB.open = realOpen;
	IDBDatabase.prototype.transaction = realTransaction;
});

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
