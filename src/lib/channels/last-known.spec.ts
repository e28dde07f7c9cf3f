import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearSession, saveSession, type AppSession } from '$lib/auth/app-session.js';
import { LastKnownWriter, MAX_AGE_MS, readLastKnown, recordOf, usableLastKnown, type LastKnownRecord } from './last-known.js';
import type { ChannelView } from './channel-list.js';

const alice: AppSession = { serverUrl: 'http://localhost:8080', did: 'did:plc:alice', handle: 'alice.test', token: 'secret-jwt', expiresAt: Date.now() + 60_000 };
const bob = { did: 'did:plc:bob', handle: 'bob.test', muted: true, displayName: 'Bob', avatarUrl: 'https://cdn.example/bob.jpg' };
const lobby: ChannelView[] = [{ id: 'lobby', name: 'Lobby', people: [bob] }, { id: 'music', name: 'Music', people: [] }];
const NOW = 1_800_000_000_000;

beforeEach(async () => {
	await clearSession();
});

describe('usableLastKnown', () => {
	const record = recordOf(alice, lobby, NOW);

	it('gives its own account the list, people, names and avatars included', () => {
		expect(usableLastKnown(record, alice, NOW + 1000)).toEqual({ channels: lobby, savedAt: NOW });
	});

	it('never shows another account’s list, nor the same account’s list of another server', () => {
		expect(usableLastKnown(record, { did: 'did:plc:carol', serverUrl: alice.serverUrl }, NOW)).toBeUndefined();
		expect(usableLastKnown(record, { did: alice.did, serverUrl: 'http://localhost:9090' }, NOW)).toBeUndefined();
		expect(usableLastKnown(record, undefined, NOW)).toBeUndefined();
	});

	it('does not show a list older than the bound, nor one dated in the future', () => {
		expect(usableLastKnown(record, alice, NOW + MAX_AGE_MS)).toBeDefined();
		expect(usableLastKnown(record, alice, NOW + MAX_AGE_MS + 1)).toBeUndefined();
		expect(usableLastKnown(record, alice, NOW - 5 * 60_000)).toBeUndefined();
	});

	it('ignores a malformed record', () => {
		expect(usableLastKnown({ ...record, channels: [{ id: 'x', name: 'X', people: [{ did: 1 }] }] }, alice, NOW)).toBeUndefined();
		expect(usableLastKnown({ ...record, savedAt: 'yesterday' }, alice, NOW)).toBeUndefined();
		expect(usableLastKnown('junk', alice, NOW)).toBeUndefined();
	});

	it('stores only the listed fields: never a token or anything else a list carried along', () => {
		const carried = [{ ...lobby[0]!, token: 'secret-jwt', people: [{ ...bob, token: 'secret-jwt' }] }] as unknown as ChannelView[];
		expect(JSON.stringify(recordOf(alice, carried, NOW))).not.toContain('secret-jwt');
	});
});

describe('the stored record', () => {
	const put = async () => {
		const writer = new LastKnownWriter(alice);
		writer.update(lobby);
		await vi.waitFor(async () => expect(await readLastKnown()).toBeDefined());
	};

	it('is written beside the signed-in session and read back for it, without the token', async () => {
		await saveSession(alice);
		await put();
		const stored = (await readLastKnown()) as LastKnownRecord;
		expect(usableLastKnown(stored, alice, Date.now())?.channels).toEqual(lobby);
		expect(JSON.stringify(stored)).not.toContain('secret-jwt');
	});

	it('goes with the session: sign-out (and a server change, which signs out) deletes both in one step', async () => {
		await saveSession(alice);
		await put();
		await clearSession(alice);
		expect(await readLastKnown()).toBeUndefined();
	});

	it('is not written once the session is gone or belongs to someone else', async () => {
		const writer = new LastKnownWriter(alice);
		writer.update(lobby); // no session stored: a write landing after sign-out
		await saveSession({ ...alice, did: 'did:plc:carol' });
		new LastKnownWriter(alice).update(lobby); // another account signed in meanwhile
		await new Promise((r) => setTimeout(r, 50));
		expect(await readLastKnown()).toBeUndefined();
	});
});

describe('LastKnownWriter', () => {
	afterEach(() => vi.useRealTimers());

	it('writes the first change at once, then at most once per interval with the latest list', async () => {
		vi.useFakeTimers();
		let now = NOW;
		const put = vi.fn(async (_record: LastKnownRecord) => {});
		const writer = new LastKnownWriter(alice, { everyMs: 2000, now: () => now, put });
		writer.update(lobby);
		expect(put).toHaveBeenCalledTimes(1);
		const later = [{ ...lobby[0]!, people: [] }];
		writer.update(lobby);
		writer.update(later);
		expect(put).toHaveBeenCalledTimes(1);
		now += 2000;
		await vi.advanceTimersByTimeAsync(2000);
		expect(put).toHaveBeenCalledTimes(2);
		expect(put.mock.calls[1]![0].channels).toEqual(later);
		expect(put.mock.calls[1]![0].savedAt).toBe(NOW + 2000);
	});

	it('drops a pending write when stopped (signed out, screen left)', async () => {
		vi.useFakeTimers();
		const put = vi.fn(async (_record: LastKnownRecord) => {});
		const writer = new LastKnownWriter(alice, { everyMs: 2000, now: () => NOW, put });
		writer.update(lobby);
		writer.update(lobby);
		writer.stop();
		await vi.advanceTimersByTimeAsync(5000);
		expect(put).toHaveBeenCalledTimes(1);
	});
});
