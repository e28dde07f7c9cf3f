import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
	clearSession,
	completeLogin,
	getPendingLogin,
	getSession,
	saveSession,
	savePendingLogin,
	type AppSession
} from './app-session.js';

const alice: AppSession = {
	serverUrl: 'http://127.0.0.1:8080',
	did: 'did:plc:alice',
	handle: 'alice.test',
	token: 'jwt',
	expiresAt: Date.now() + 60_000
};

beforeEach(async () => {
	await clearSession();
});

describe('app session store', () => {
	it('is signed in only when server, DID and JWT are all there together', async () => {
		expect(await getSession()).toBeUndefined();
		await saveSession(alice);
		expect(await getSession()).toEqual(alice);
		await expect(saveSession({ ...alice, token: '' })).rejects.toThrow(/incomplete/);
		expect(await getSession()).toEqual(alice);
	});

	it('clears the session and any pending login as one', async () => {
		await saveSession(alice);
		await savePendingLogin({ id: 'a', serverUrl: alice.serverUrl, handle: 'alice.test', startedAt: 1, mode: 'popup' });
		await clearSession();
		expect(await getSession()).toBeUndefined();
		expect(await getPendingLogin()).toBeUndefined();
	});

	it('completes only the login that is still pending', async () => {
		await savePendingLogin({ id: 'first', serverUrl: alice.serverUrl, handle: 'alice.test', startedAt: 1, mode: 'popup' });
		expect(await completeLogin(alice, 'other')).toBe(false);
		expect(await getSession()).toBeUndefined();
		expect(await completeLogin(alice, 'first')).toBe(true);
		expect(await getSession()).toEqual(alice);
		expect(await getPendingLogin()).toBeUndefined();
	});
});
