// The app's own IndexedDB database ("microclimate", one object store "app"), opened on
// first use and shared by the app-session records. app-session.ts uses it, and
// $lib/channels/last-known.ts for the last known channel list kept beside the session.
//
// Storage fails in ordinary lives: Safari private mode and storage blocked in settings make
// `indexedDB.open` throw or fail, a full disk fails writes (QuotaExceededError), and Safari
// drops live connections ("Connection to Indexed Database server lost"). So:
// - a failed open is never cached: the next use opens again;
// - a connection that was lost is dropped and the operation runs once more on a new one:
//   that includes the browser closing it under a running transaction (storage cleared,
//   eviction, Safari's lost server), which aborts the transaction with an AbortError of its
//   own. Only this app's own abort (a cancelled login) is a cancel;
// - whatever still fails reaches callers as StorageUnavailableError, which the screens
//   turn into "This browser is blocking storage" instead of a crash.

const DB_NAME = 'microclimate';
const STORE_NAME = 'app';

export class StorageUnavailableError extends Error {
	constructor(cause: unknown) {
		super('This browser is blocking storage, so you can’t stay signed in.', { cause });
		this.name = 'StorageUnavailableError';
	}
}

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
	if (opening) return opening;
	const attempt = new Promise<IDBDatabase>((resolve, reject) => {
		let request: IDBOpenDBRequest;
		try {
			// Throws (SecurityError, or no indexedDB at all) where storage is blocked.
			request = indexedDB.open(DB_NAME);
		} catch (err) {
			return reject(err);
		}
		request.onupgradeneeded = () => request.result.createObjectStore(STORE_NAME);
		request.onsuccess = () => {
			const db = request.result;
			// The browser closed it (storage cleared, connection lost): open anew next time.
			db.onclose = () => forget(attempt);
			db.onversionchange = () => {
				db.close();
				forget(attempt);
			};
			resolve(db);
		};
		request.onerror = () => reject(request.error ?? new DOMException('IndexedDB failed to open', 'UnknownError'));
	});
	opening = attempt;
	attempt.catch(() => forget(attempt));
	return attempt;
}

/**
 * Starts opening the database now, so the first read (the session gate of every screen)
 * finds the connection open or on its way instead of opening it then. A failure here is
 * not kept: that first read opens again and reports it.
 */
export function openEarly(): void {
	open().catch(() => {});
}

function forget(attempt: Promise<IDBDatabase>): void {
	if (opening === attempt) opening = undefined;
}

/**
 * Runs `work` in one transaction on the app store. `work` must issue its requests without
 * awaiting anything but those requests, or the transaction commits under it. Resolves with
 * `work`'s result once the transaction committed.
 */
export async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		const current = open();
		let done: Promise<void> | undefined;
		try {
			const db = await current;
			const tx = db.transaction(STORE_NAME, mode);
			done = transactionDone(tx);
			done.catch(() => {}); // awaited below; handled here too if `work` throws first
			const result = await work(tx.objectStore(STORE_NAME));
			await done;
			return result;
		} catch (thrown) {
			if (!(thrown instanceof DOMException) && !(thrown instanceof ReferenceError)) throw thrown;
			// A request of `work` that failed because its transaction was aborted reports only
			// AbortError: the transaction's own end says who aborted it.
			const err = done ? await done.then(() => thrown, (ended: unknown) => ended) : thrown;
			// A transaction aborted on purpose (a cancelled login): not a storage failure.
			if (err instanceof TransactionCancelled) throw err;
			// Drop the connection (or the failed open) and try once more on a fresh one.
			forget(current);
			void current.then((db) => db.close(), () => {});
			if (attempt >= 1) throw new StorageUnavailableError(err);
		}
	}
}

/**
 * This app aborted the transaction itself (IDBTransaction.abort(), which leaves its `error`
 * null). Still an AbortError to callers, who take it as a cancel. When the browser aborts
 * one (closing the connection under it, a full disk), `error` says why, and that is a
 * storage failure, not a cancel.
 */
class TransactionCancelled extends DOMException {
	constructor() {
		super('The transaction was cancelled', 'AbortError');
	}
}

function transactionDone(tx: IDBTransaction): Promise<void> {
	return new Promise((resolve, reject) => {
		tx.oncomplete = () => resolve();
		// Only the abort: a failed request aborts the transaction with its error (abort follows);
		// at its own error event the transaction's `error` is not set yet.
		tx.onabort = () => reject(tx.error ?? new TransactionCancelled());
	});
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
}
