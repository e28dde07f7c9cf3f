import 'fake-indexeddb/auto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenRevokedError } from '@atproto/oauth-client';
import { clearSession, getSession, saveSession, type AppSession } from './app-session.js';
import { Session, type SignOutReason } from './session.svelte.js';
import type { PdsSession } from './server-session.js';

// The OAuth library is loaded lazily in the app; its error classes come from here.
vi.mock('./oauth-client.js', async () => {
	const lib = await import('@atproto/oauth-client');
	return { oauthLibrary: () => lib };
});

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
	overrides: { restore?: () => Promise<PdsSession>; revoke?: () => Promise<void>; revokeTimeoutMs?: number; renewalTimeoutMs?: number } = {}
) {
	const s = new Session();
	const revoked: string[] = [];
	s.configure({
		restoreOAuth: overrides.restore ?? (async () => pds),
		revokeOAuth: overrides.revoke ?? (async (did) => void revoked.push(did)),
		revokeTimeoutMs: overrides.revokeTimeoutMs,
		renewalTimeoutMs: overrides.renewalTimeoutMs
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

	it('ends the session when the OAuth session was revoked', async () => {
		const { s, reasons } = await freshSession({ restore: async () => Promise.reject(new TokenRevokedError(alice.did)) });
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

function pdsAnswering(status: number, error?: string): PdsSession {
	return { sub: alice.did, fetchHandler: async () => new Response(JSON.stringify({ message: `status ${status}`, error }), { status }) };
}

describe('renewal: only a definite refusal signs out', () => {
	const refusals: [string, () => Promise<PdsSession>, (() => never) | undefined][] = [
		['the PDS answers 400', async () => pdsAnswering(400), undefined],
		['the PDS answers 401', async () => pdsAnswering(401), undefined],
		['the server says UNAUTHENTICATED', async () => pds, () => { throw new ConnectError('bad token', Code.Unauthenticated); }],
		['the server says PERMISSION_DENIED', async () => pds, () => { throw new ConnectError('banned', Code.PermissionDenied); }]
	];
	for (const [name, restore, server] of refusals) {
		it(`signs out when ${name}`, async () => {
			if (server) createSessionImpl.mockImplementation(server);
			const { s, reasons, revoked } = await freshSession({ restore });
			sessions.push(s);
			expect(await s.renew()).toBeUndefined();
			expect(reasons).toEqual(['session-ended']);
			expect(revoked).toEqual([alice.did]);
			expect(await getSession()).toBeUndefined();
		});
	}

	const passing: [string, () => Promise<PdsSession>, (() => never) | undefined][] = [
		["the OAuth library can't reach the PDS (FetchRequestError)", async () => Promise.reject(Object.assign(new Error('Failed to fetch'), { name: 'FetchRequestError' })), undefined],
		['the PDS answers 503', async () => pdsAnswering(503), undefined],
		['the PDS answers 429', async () => pdsAnswering(429), undefined],
		['the server says RESOURCE_EXHAUSTED', async () => pds, () => { throw new ConnectError('slow down', Code.ResourceExhausted); }],
		['the server says INTERNAL', async () => pds, () => { throw new ConnectError('oops', Code.Internal); }],
		['the server says UNAVAILABLE', async () => pds, () => { throw new ConnectError('down', Code.Unavailable); }],
		// The clocks of the PDS and the server disagree (server/session-authority.ts).
		['the server says FAILED_PRECONDITION', async () => pds, () => { throw new ConnectError('service token has expired', Code.FailedPrecondition); }],
		// This device's clock is beyond what the PDS accepts: it passes once the clock is set.
		['the PDS answers 401 invalid_dpop_proof', async () => pdsAnswering(401, 'invalid_dpop_proof'), undefined]
	];
	for (const [name, restore, server] of passing) {
		it(`keeps the session, in every tab, when ${name}`, async () => {
			if (server) createSessionImpl.mockImplementation(server);
			const { s, reasons, revoked } = await freshSession({ restore });
			const { s: other, reasons: otherReasons } = await freshSession();
			sessions.push(s, other);
			await expect(s.renew()).rejects.toThrow();
			expect(reasons).toEqual([]);
			expect(revoked).toEqual([]);
			expect(s.current?.token).toBe('old-jwt');
			expect((await getSession())?.token).toBe('old-jwt');
			await new Promise((r) => setTimeout(r, 50));
			expect(otherReasons).toEqual([]);
		});
	}

	it('gives up a hung renewal after its timeout, keeps the session, and the next call tries afresh', async () => {
		let calls = 0;
		const { s, reasons } = await freshSession({
			renewalTimeoutMs: 50,
			restore: () => (++calls === 1 ? new Promise<PdsSession>(() => {}) : Promise.resolve(pds))
		});
		sessions.push(s);
		await expect(s.renew()).rejects.toThrow(/too long/);
		expect(reasons).toEqual([]);
		expect(await s.renew()).toBe('new-jwt');
		expect(calls).toBe(2);
	});
});

describe('renewal and other tabs', () => {
	it('a sign-out that lands between renewal reading and writing the record is never undone', async () => {
		// The moment renewal reads the stored record after the server answered, another tab
		// signs out (its delete transaction queues right behind that read).
		let serverAnswered = false;
		createSessionImpl.mockImplementation(async () => {
			serverAnswered = true;
			const { CreateSessionResponseSchema } = await import('$lib/gen/microclimate/auth/v1/auth_pb.js');
			return create(CreateSessionResponseSchema, { sessionToken: 'new-jwt', did: alice.did, handle: 'alice.test', expiresAt: timestampFromMs(Date.now() + 900_000) });
		});
		const { s } = await freshSession();
		sessions.push(s);
		const get = IDBObjectStore.prototype.get;
		let signOut: Promise<void> | undefined;
		IDBObjectStore.prototype.get = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
			const req = get.call(this, key);
			if (serverAnswered && !signOut && key === 'session') signOut = clearSession();
			return req;
		};
		try {
			await s.renew();
			await signOut;
		} finally {
			IDBObjectStore.prototype.get = get;
		}
		expect(signOut).toBeDefined();
		expect(await getSession()).toBeUndefined();
	});

	it('adopts a record another tab already renewed instead of renewing again', async () => {
		const { s } = await freshSession();
		sessions.push(s);
		await saveSession({ ...alice, token: 'their-jwt', expiresAt: Date.now() + 600_000 });
		expect(await s.renew()).toBe('their-jwt');
		expect(s.current?.token).toBe('their-jwt');
		expect(createSessionImpl).not.toHaveBeenCalled();
	});

	it('adopts the record another tab wrote while this renewal was on the network', async () => {
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const { s } = await freshSession({ restore: async () => (await gate, pds) });
		sessions.push(s);
		const renewal = s.renew();
		await new Promise((r) => setTimeout(r, 20));
		await saveSession({ ...alice, token: 'their-jwt', expiresAt: Date.now() + 600_000 });
		release();
		expect(await renewal).toBe('their-jwt');
		expect((await getSession())?.token).toBe('their-jwt');
	});

	it('a tab that missed a sign-out finds out when it renews, without revoking anything', async () => {
		const { s, reasons, revoked } = await freshSession();
		sessions.push(s);
		await clearSession();
		expect(await s.renew()).toBeUndefined();
		expect(reasons).toEqual(['other-tab']);
		expect(revoked).toEqual([]);
	});
});
