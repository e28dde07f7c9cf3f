import 'fake-indexeddb/auto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createRouterTransport } from '@connectrpc/connect';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthService, CreateSessionResponseSchema, GetServerInfoResponseSchema } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import { clearSession, getPendingLogin, getSession, savePendingLogin, type AppSession } from './app-session.js';
import { LoginFlow, POPUP_NAME, REDIRECT_STATE_PREFIX, type LoginDeps, type OAuthPopupClient } from './login-flow.svelte.js';
import { CANCELLED_MESSAGE } from './login-errors.js';
import type { PdsSession } from './server-session.js';

const SERVER = 'http://127.0.0.1:8080';
const DID = 'did:plc:alice';

function pds(sub = DID): PdsSession {
	return {
		sub,
		fetchHandler: async (path) => {
			expect(path).toContain('aud=did%3Aweb%3Alocalhost%253A8080%23microclimate');
			return new Response(JSON.stringify({ token: 'service-token' }), { status: 200 });
		}
	};
}

function serverTransport(did = DID) {
	return createRouterTransport(({ service }) => {
		service(AuthService, {
			getServerInfo: () => create(GetServerInfoResponseSchema, { name: 'x', lxm: 'y' }),
			createSession: (req) => {
				expect(req.serviceToken).toBe('service-token');
				return create(CreateSessionResponseSchema, {
					sessionToken: 'server-jwt',
					did,
					handle: 'alice.test',
					expiresAt: timestampFromMs(Date.now() + 60_000)
				});
			}
		});
	});
}

/** A popup whose outcome the test decides, like a person at the PDS would. */
function controllablePopup() {
	let approve!: (s: PdsSession) => void;
	let deny!: (e: unknown) => void;
	let signal: AbortSignal | undefined;
	const client: OAuthPopupClient & { redirects: string[] } = {
		redirects: [],
		signInPopup: (_handle, options) => {
			signal = options.signal;
			return new Promise<PdsSession>((resolve, reject) => {
				approve = resolve;
				deny = reject;
			});
		},
		signInRedirect: async (_handle, options) => {
			client.redirects.push(options.state);
			return new Promise<never>(() => {});
		}
	};
	return { client, approve: (s: PdsSession) => approve(s), deny: (e: unknown) => deny(e), signal: () => signal };
}

function flowWith(client: OAuthPopupClient, overrides: Partial<LoginDeps> = {}) {
	const signedIn: AppSession[] = [];
	const flow = new LoginFlow({
		client: () => client,
		loadClient: async () => client,
		transportFor: () => serverTransport(),
		openPopup: () => ({}) as Window,
		mustRedirect: () => false,
		onSignedIn: (s) => signedIn.push(s),
		...overrides
	});
	return { flow, signedIn };
}

beforeEach(async () => {
	await clearSession();
});

describe('LoginFlow', () => {
	it('records a pending login, then writes one complete session when approved', async () => {
		const popup = controllablePopup();
		const { flow, signedIn } = flowWith(popup.client);
		const done = flow.start(SERVER, 'alice.test');
		expect(flow.current.status).toBe('waiting');
		await vi.waitFor(async () => expect((await getPendingLogin())?.handle).toBe('alice.test'));
		popup.approve(pds());
		await done;
		expect(flow.current.status).toBe('done');
		expect(await getSession()).toMatchObject({ serverUrl: SERVER, did: DID, handle: 'alice.test', token: 'server-jwt' });
		expect(await getPendingLogin()).toBeUndefined();
		expect(signedIn).toHaveLength(1);
	});

	it('opens the popup inside the click before the OAuth client has loaded, and signs in once it has', async () => {
		const popup = controllablePopup();
		let loaded!: (c: OAuthPopupClient) => void;
		const open = vi.fn(() => ({}) as Window);
		const signInPopup = vi.spyOn(popup.client, 'signInPopup');
		const { flow, signedIn } = flowWith(popup.client, {
			client: () => undefined,
			loadClient: () => new Promise<OAuthPopupClient>((resolve) => (loaded = resolve)),
			openPopup: open
		});
		const done = flow.start(SERVER, 'alice.test');
		// Synchronously, in the click: the window exists, the library has not been asked yet.
		expect(open).toHaveBeenCalledWith(POPUP_NAME);
		expect(flow.current).toEqual({ status: 'waiting', handle: 'alice.test' });
		expect(signInPopup).not.toHaveBeenCalled();
		loaded(popup.client);
		await vi.waitFor(() => expect(signInPopup).toHaveBeenCalledWith('alice.test', expect.objectContaining({ popupName: POPUP_NAME })));
		popup.approve(pds());
		await done;
		expect(flow.current.status).toBe('done');
		expect(signedIn).toHaveLength(1);
	});

	it('a Cancel before the OAuth client has loaded never asks it for a popup', async () => {
		const popup = controllablePopup();
		let loaded!: (c: OAuthPopupClient) => void;
		const signInPopup = vi.spyOn(popup.client, 'signInPopup');
		const { flow } = flowWith(popup.client, {
			client: () => undefined,
			loadClient: () => new Promise<OAuthPopupClient>((resolve) => (loaded = resolve))
		});
		const done = flow.start(SERVER, 'alice.test');
		flow.cancel();
		loaded(popup.client);
		await done;
		expect(signInPopup).not.toHaveBeenCalled();
		expect(flow.current).toEqual({ status: 'idle', message: CANCELLED_MESSAGE });
		expect(await getPendingLogin()).toBeUndefined();
	});

	it('starts nothing while a login is in flight', () => {
		const popup = controllablePopup();
		const open = vi.fn(() => ({}) as Window);
		const { flow } = flowWith(popup.client, { openPopup: open });
		expect(flow.start(SERVER, 'alice.test')).toBeInstanceOf(Promise);
		expect(flow.start(SERVER, 'alice.test')).toBeUndefined();
		expect(open).toHaveBeenCalledTimes(1);
		flow.cancel();
	});

	it('cancel aborts the popup and forgets the pending login', async () => {
		const popup = controllablePopup();
		const { flow } = flowWith(popup.client);
		const done = flow.start(SERVER, 'alice.test');
		flow.cancel();
		expect(popup.signal()?.aborted).toBe(true);
		expect(flow.current).toEqual({ status: 'idle', message: 'Sign-in cancelled.' });
		expect(flow.busy).toBe(false);
		popup.deny(new Error('Aborted'));
		await done;
		expect(await getPendingLogin()).toBeUndefined();
		expect(await getSession()).toBeUndefined();
	});

	it('a login approved after it was cancelled writes nothing', async () => {
		const popup = controllablePopup();
		const { flow, signedIn } = flowWith(popup.client);
		const done = flow.start(SERVER, 'alice.test');
		flow.cancel();
		popup.approve(pds()); // the PDS answered anyway
		await done;
		expect(await getSession()).toBeUndefined();
		expect(signedIn).toEqual([]);
		expect(flow.current.status).toBe('idle');
	});

	it('a new attempt after cancelling is not completed by the old one', async () => {
		const first = controllablePopup();
		const second = controllablePopup();
		let current = first.client;
		const { flow } = flowWith({
			signInPopup: (h, o) => current.signInPopup(h, o),
			signInRedirect: (h, o) => current.signInRedirect(h, o)
		});
		const firstDone = flow.start(SERVER, 'alice.test');
		flow.cancel();
		current = second.client;
		const secondDone = flow.start(SERVER, 'alice.test');
		first.approve(pds());
		await firstDone;
		expect(await getSession()).toBeUndefined();
		expect(flow.current.status).toBe('waiting');
		second.approve(pds());
		await secondDone;
		expect((await getSession())?.token).toBe('server-jwt');
	});

	it('a denied consent shows a message and stores nothing', async () => {
		const popup = controllablePopup();
		const { flow } = flowWith(popup.client);
		const done = flow.start(SERVER, 'alice.test');
		popup.deny(new Error('access_denied'));
		await done;
		expect(flow.current.status).toBe('failed');
		expect(await getSession()).toBeUndefined();
		expect(await getPendingLogin()).toBeUndefined();
	});

	it('refuses a server session for another account than the one approved', async () => {
		const popup = controllablePopup();
		const { flow } = flowWith(popup.client, { transportFor: () => serverTransport('did:plc:mallory') });
		const done = flow.start(SERVER, 'alice.test');
		popup.approve(pds());
		await done;
		expect(flow.current).toMatchObject({ status: 'failed' });
		expect(await getSession()).toBeUndefined();
	});

	it('falls back to the redirect flow when the popup is blocked', async () => {
		const popup = controllablePopup();
		const { flow } = flowWith(popup.client, { openPopup: () => null });
		void flow.start(SERVER, 'alice.test');
		expect(flow.current.status).toBe('redirecting');
		await vi.waitFor(() => expect(popup.client.redirects).toHaveLength(1));
		const pending = await getPendingLogin();
		expect(pending).toMatchObject({ mode: 'redirect', serverUrl: SERVER, handle: 'alice.test' });
		expect(popup.client.redirects[0]).toBe(`${REDIRECT_STATE_PREFIX}${pending?.id}`);
	});

	it('uses the redirect flow in standalone display mode', async () => {
		const popup = controllablePopup();
		const open = vi.fn(() => ({}) as Window);
		const { flow } = flowWith(popup.client, { openPopup: open, mustRedirect: () => true });
		void flow.start(SERVER, 'alice.test');
		await vi.waitFor(() => expect(popup.client.redirects).toHaveLength(1));
		expect(open).not.toHaveBeenCalled();
	});
});

describe('LoginFlow: Cancel at the last moment, and grants nobody uses', () => {
	it('a Cancel that lands while the final write is in flight writes no session and revokes the grant', async () => {
		const popup = controllablePopup();
		const revoked: string[] = [];
		const { flow, signedIn } = flowWith(popup.client, { revokeOAuth: async (did) => void revoked.push(did) });
		const put = IDBObjectStore.prototype.put;
		let cancelledDuringWrite = false;
		IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
			const request = put.call(this, value, key);
			if (key === 'session' && !cancelledDuringWrite) {
				cancelledDuringWrite = true;
				flow.cancel();
			}
			return request;
		};
		try {
			const done = flow.start(SERVER, 'alice.test');
			popup.approve(pds());
			await done;
		} finally {
			IDBObjectStore.prototype.put = put;
		}
		expect(cancelledDuringWrite).toBe(true);
		expect(await getSession()).toBeUndefined();
		expect(await getPendingLogin()).toBeUndefined();
		expect(signedIn).toEqual([]);
		expect(flow.current).toEqual({ status: 'idle', message: 'Sign-in cancelled.' });
		await vi.waitFor(() => expect(revoked).toEqual([DID]));
	});

	it('a grant approved for a superseded attempt is revoked, unless that account is signed in meanwhile', async () => {
		const popup = controllablePopup();
		const revoked: string[] = [];
		const { flow } = flowWith(popup.client, { revokeOAuth: async (did) => void revoked.push(did) });
		const done = flow.start(SERVER, 'alice.test');
		await vi.waitFor(async () => expect(await getPendingLogin()).toBeDefined());
		// Another tab started its own sign-in over this one.
		await savePendingLogin({ id: 'other-tab', serverUrl: SERVER, handle: 'alice.test', startedAt: Date.now(), mode: 'popup' });
		popup.approve(pds());
		await done;
		expect(await getSession()).toBeUndefined();
		await vi.waitFor(() => expect(revoked).toEqual([DID]));
	});
});

describe('LoginFlow: a device whose clock is off', () => {
	const CLOCK = 'This device’s clock is 5 minutes fast. Set it to update automatically, then try again.';

	it('asks the PDS for a service token without `exp`, so the PDS stamps it by its own clock', async () => {
		const popup = controllablePopup();
		const asked: string[] = [];
		const { flow } = flowWith(popup.client);
		const done = flow.start(SERVER, 'alice.test');
		const session = pds();
		popup.approve({ ...session, fetchHandler: (path, init) => (asked.push(path), session.fetchHandler(path, init)) });
		await done;
		expect(flow.current.status).toBe('done');
		expect(asked).toHaveLength(1);
		expect(new URL(asked[0]!, 'http://pds.test').searchParams.has('exp')).toBe(false);
	});

	it('a refusal the clock explains (the PDS refused its DPoP proof) says the clock, not "unexpected"', async () => {
		const popup = controllablePopup();
		const checked: string[] = [];
		const { flow } = flowWith(popup.client, { checkClock: async (url) => (checked.push(url), CLOCK) });
		const done = flow.start(SERVER, 'alice.test');
		popup.deny(Object.assign(new Error('Failed to verify DPoP proof'), { error: 'invalid_dpop_proof' }));
		await done;
		expect(flow.current).toEqual({ status: 'failed', message: CLOCK });
		expect(checked).toEqual([SERVER]);
		expect(await getPendingLogin()).toBeUndefined();
	});

	it('with the clock right (or unknown) the usual message stands; a cancel never reads the clock', async () => {
		const popup = controllablePopup();
		let checks = 0;
		const { flow } = flowWith(popup.client, { checkClock: async () => void checks++ });
		const done = flow.start(SERVER, 'alice.test');
		popup.deny(new Error('Failed to verify DPoP proof'));
		await done;
		expect(flow.current).toEqual({ status: 'failed', message: 'Sign-in failed for an unexpected reason. Try again.' });
		expect(checks).toBe(1);

		const again = controllablePopup();
		const second = flowWith(again.client, { checkClock: async () => void checks++ });
		const cancelled = second.flow.start(SERVER, 'alice.test');
		again.deny(new DOMException('Aborted', 'AbortError'));
		await cancelled;
		expect(second.flow.current).toEqual({ status: 'idle', message: CANCELLED_MESSAGE });
		expect(checks).toBe(1);
	});

	it('the redirect flow says the clock too when the PDS refuses its first request', async () => {
		const popup = controllablePopup();
		popup.client.signInRedirect = async () => Promise.reject(Object.assign(new Error('Failed to verify DPoP proof'), { error: 'invalid_dpop_proof' }));
		const { flow } = flowWith(popup.client, { openPopup: () => null, checkClock: async () => CLOCK });
		await flow.start(SERVER, 'alice.test');
		expect(flow.current).toEqual({ status: 'failed', message: CLOCK });
		expect(await getPendingLogin()).toBeUndefined();
	});

	it('a Cancel while the clock is read wins: no failure message replaces it', async () => {
		const popup = controllablePopup();
		let answer!: (m: string | undefined) => void;
		const { flow } = flowWith(popup.client, { checkClock: () => new Promise((resolve) => (answer = resolve)) });
		const done = flow.start(SERVER, 'alice.test');
		popup.deny(new Error('Failed to verify DPoP proof'));
		await vi.waitFor(() => expect(answer).toBeDefined());
		flow.cancel();
		answer(CLOCK);
		await done;
		expect(flow.current).toEqual({ status: 'idle', message: CANCELLED_MESSAGE });
	});
});
