import 'fake-indexeddb/auto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearSession, getSession, saveSession, type AppSession } from './app-session.js';
import { Session, type SignOutReason } from './session.svelte.js';
import type { PdsSession } from './server-session.js';

// Renewal talks to the server through the real transport factory; swap it for an
// in-memory router so these tests need no network.
const createSessionImpl = vi.fn();
vi.mock('$lib/api/transport.js', async () => {
	const { createRouterTransport } = await import('@connectrpc/connect');
	const { AuthService } = await import('$lib/gen/microclimate/auth/v1/auth_pb.js');
	return {
		createServerTransport: () =>
			createRouterTransport(({ service }) => {
				service(AuthService, {
					getServerInfo: () => {
						throw new Error('unused');
					},
					createSession: (req: unknown) => createSessionImpl(req)
				});
			})
	};
});

const alice: AppSession = {
	serverUrl: 'http://127.0.0.1:8080',
	did: 'did:plc:alice',
	handle: 'alice.test',
	token: 'old-jwt',
	expiresAt: Date.now() - 1000
};

const pds: PdsSession = {
	sub: alice.did,
	fetchHandler: async () => new Response(JSON.stringify({ token: 'service-token' }))
};

async function freshSession(
	overrides: { restore?: () => Promise<PdsSession>; revoke?: () => Promise<void>; revokeTimeoutMs?: number } = {}
) {
	const s = new Session();
	const revoked: string[] = [];
	s.configure({
		restoreOAuth: overrides.restore ?? (async () => pds),
		revokeOAuth: overrides.revoke ?? (async (did) => void revoked.push(did)),
		revokeTimeoutMs: overrides.revokeTimeoutMs
	});
	await saveSession(alice);
	await s.load();
	const reasons: SignOutReason[] = [];
	s.onSignedOut((r) => reasons.push(r));
	return { s, revoked, reasons };
}

const sessions: Session[] = [];
beforeEach(async () => {
	await clearSession();
	createSessionImpl.mockReset();
	createSessionImpl.mockImplementation(async () => {
		const { CreateSessionResponseSchema } = await import('$lib/gen/microclimate/auth/v1/auth_pb.js');
		return create(CreateSessionResponseSchema, {
			sessionToken: 'new-jwt',
			did: alice.did,
			handle: 'alice.test',
			expiresAt: timestampFromMs(Date.now() + 900_000)
		});
	});
});
afterEach(() => {
	for (const s of sessions.splice(0)) s.reset();
});

describe('Session', () => {
	it('sign-out clears the stored session, revokes OAuth and tells listeners', async () => {
		const { s, revoked, reasons } = await freshSession();
		sessions.push(s);
		await s.signOut();
		expect(s.current).toBeUndefined();
		expect(await getSession()).toBeUndefined();
		expect(revoked).toEqual([alice.did]);
		expect(reasons).toEqual(['signed-out']);
	});

	it('signs out even when revocation hangs (offline)', async () => {
		const { s, reasons } = await freshSession({ revoke: () => new Promise(() => {}), revokeTimeoutMs: 50 });
		sessions.push(s);
		await s.signOut();
		expect(reasons).toEqual(['signed-out']);
		expect(await getSession()).toBeUndefined();
	});

	it('renews an expired JWT once for all concurrent callers', async () => {
		const { s } = await freshSession();
		sessions.push(s);
		const [a, b] = await Promise.all([s.renew(), s.renew()]);
		expect(a).toBe('new-jwt');
		expect(b).toBe('new-jwt');
		expect(createSessionImpl).toHaveBeenCalledTimes(1);
		expect((await getSession())?.token).toBe('new-jwt');
	});

	it('ends the session when the OAuth session can no longer be restored', async () => {
		const { s, reasons } = await freshSession({ restore: async () => Promise.reject(new Error('revoked')) });
		sessions.push(s);
		expect(await s.renew()).toBeUndefined();
		expect(reasons).toEqual(['session-ended']);
		expect(await getSession()).toBeUndefined();
	});

	it('keeps the session when renewal fails for lack of network', async () => {
		const { s, reasons } = await freshSession({ restore: async () => Promise.reject(new TypeError('Failed to fetch')) });
		sessions.push(s);
		await expect(s.renew()).rejects.toThrow(TypeError);
		expect(reasons).toEqual([]);
		expect((await getSession())?.token).toBe('old-jwt');
	});

	it('a renewal that finishes after sign-out writes nothing', async () => {
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const { s } = await freshSession({ restore: async () => (await gate, pds) });
		sessions.push(s);
		const renewal = s.renew();
		await s.signOut();
		release();
		expect(await renewal).toBeUndefined();
		expect(await getSession()).toBeUndefined();
	});

	it('signing out in one tab signs out the others', async () => {
		const { s: tabA } = await freshSession();
		const { s: tabB, reasons } = await freshSession();
		sessions.push(tabA, tabB);
		await tabA.signOut();
		await vi.waitFor(() => expect(reasons).toEqual(['other-tab']));
		expect(tabB.current).toBeUndefined();
	});
});
