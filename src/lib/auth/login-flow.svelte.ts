// One sign-in attempt at a time: popup (or redirect) on the person's PDS, then the trade
// for a server session. Written by the connect screen (start, cancel) and by sign-out
// (cancel); read by the connect screen to show progress and errors.
//
// Failure modes it guards against:
// - a second click while one runs starts nothing;
// - Cancel, sign-out or a server change abort the attempt, and an attempt that finishes
//   after it was aborted writes nothing (completeLogin checks the pending id in the same
//   transaction that writes the session, aborts that transaction when Cancel lands during
//   the write, and a Cancel landing just after the commit removes what it wrote);
// - the attempt is claimed by this tab (login-claim.ts), so another tab opening /connect
//   leaves it alone while its popup waits;
// - a grant the PDS gave for an attempt that then writes no session is revoked, unless
//   the same account is signed in meanwhile (revoking would end that session too);
// - the popup library never notices a closed popup, so Cancel is always offered;
// - the popup must open inside the click's user gesture: start() opens it synchronously,
//   also when the OAuth client (a lazy chunk) is not loaded yet: the library then navigates
//   that already-open, named window once it has loaded (window.open on an existing name is
//   not a new popup, so no gesture is needed by then).
import type { Transport } from '@connectrpc/connect';
import {
	clearPendingLogin,
	completeLogin,
	getSession,
	removeSessionIf,
	savePendingLogin,
	type AppSession
} from './app-session.js';
import { claimLogin } from './login-claim.js';
import type { PdsSession } from './server-session.js';
import { OAUTH_SCOPE } from './oauth-client.js';
// The transport and the error descriptions that need its classes load after the first
// paint (rpc-loader.ts); a sign-in needs them only once the popup has answered.
import { loadRpc, type Rpc } from '$lib/api/rpc-loader.js';

/** What a cancelled sign-in says (login-errors.ts says the same for a sign-in it sees aborted). */
export const CANCELLED_MESSAGE = 'Sign-in cancelled.';
/** The transport's chunk did not load (offline, or a new version replaced it). */
const NOT_LOADED_MESSAGE = 'Sign-in could not load. Check your connection, then reload the page.';

// Firefox fails the sign-in's requests as soon as the page starts to go away (a reload
// mid-sign-in, before pagehide) and still runs their error handlers: the pending record
// must survive that, so the next load can say the sign-in did not finish.
let unloading = false;
if (typeof window !== 'undefined') {
	window.addEventListener('beforeunload', () => (unloading = true));
	window.addEventListener('pagehide', () => (unloading = true));
	window.addEventListener('pageshow', () => (unloading = false));
}

/** What LoginFlow needs from the OAuth library; a fake in unit tests. */
export interface OAuthPopupClient {
	signInPopup(handle: string, options: { signal: AbortSignal; popupName: string; scope: string }): Promise<PdsSession>;
	signInRedirect(handle: string, options: { state: string; scope: string }): Promise<never>;
}

export interface LoginDeps {
	/** The client if it is already loaded (no await between the click and the popup). */
	client: () => OAuthPopupClient | undefined;
	/** Loads it (or returns the load under way). */
	loadClient: () => Promise<OAuthPopupClient>;
	transportFor: (serverUrl: string) => Transport | Promise<Transport>;
	/** Opens the named popup window; null when the browser blocked it. */
	openPopup: (name: string) => Window | null;
	/** True where a popup can't report back (iOS home-screen apps). */
	mustRedirect: () => boolean;
	onSignedIn: (session: AppSession) => void;
	/** Revokes the OAuth grant of `did` at its PDS; best effort. */
	revokeOAuth?: (did: string) => Promise<void>;
	/** Reads this device's clock against the server's: a message when it is off, else undefined (device-clock.ts). */
	checkClock?: (serverUrl: string) => Promise<string | undefined>;
}

export type LoginState =
	| { status: 'idle'; message?: string }
	| { status: 'waiting'; handle: string }
	| { status: 'finishing'; handle: string }
	| { status: 'redirecting'; handle: string }
	| { status: 'failed'; message: string }
	| { status: 'done'; session: AppSession };

export const POPUP_NAME = 'microclimate-sign-in';
export const REDIRECT_STATE_PREFIX = 'microclimate-redirect:';

export class LoginFlow {
	#state = $state.raw<LoginState>({ status: 'idle' });
	#attempt: { id: string; controller: AbortController; popup?: Window } | undefined;
	/** This tab's claims on its attempts (login-claim.ts), released when each one ends. */
	#claims = new Map<string, Promise<() => void>>();
	#deps: LoginDeps;

	constructor(deps: LoginDeps) {
		this.#deps = deps;
	}

	get current(): LoginState {
		return this.#state;
	}

	/** Reactive (derived from the state): an attempt is under way. */
	get busy(): boolean {
		const { status } = this.#state;
		return status === 'waiting' || status === 'finishing' || status === 'redirecting';
	}

	/**
	 * Starts a sign-in. Synchronous up to opening the popup, so call it straight from the
	 * click handler. Returns the attempt's promise, or undefined when none was started.
	 */
	start(serverUrl: string, handle: string, channel?: string): Promise<void> | undefined {
		if (this.#attempt) return undefined;
		const loaded = this.#deps.client();
		const client = loaded ? Promise.resolve(loaded) : this.#deps.loadClient();
		const id = crypto.randomUUID();
		const controller = new AbortController();
		// The claim is in place before the pending record exists, so no other tab ever sees
		// the record unclaimed.
		const claim = claimLogin(id);
		this.#claims.set(id, claim);
		this.#attempt = { id, controller };
		const popup = this.#deps.mustRedirect() ? null : this.#deps.openPopup(POPUP_NAME);
		if (!popup) return this.#redirect(client, id, serverUrl, handle, claim, channel);
		this.#attempt.popup = popup;

		this.#state = { status: 'waiting', handle };
		const pending = claim.then(() => savePendingLogin({ id, serverUrl, handle, startedAt: Date.now(), mode: 'popup', ...(channel ? { channel } : {}) }));
		const options = { signal: controller.signal, popupName: POPUP_NAME, scope: OAUTH_SCOPE };
		const approved = loaded
			? loaded.signInPopup(handle, options)
			: client.then((c) => {
					controller.signal.throwIfAborted();
					return c.signInPopup(handle, options);
				});
		return this.#finish(id, controller.signal, serverUrl, handle, pending, approved);
	}

	async #finish(
		id: string,
		signal: AbortSignal,
		serverUrl: string,
		handle: string,
		pending: Promise<void>,
		approved: Promise<PdsSession>
	): Promise<void> {
		// The popup may settle before the pending record is written; mark it handled now.
		approved.catch(() => {});
		let pds: PdsSession | undefined;
		try {
			await pending;
			pds = await approved;
			signal.throwIfAborted();
			this.#state = { status: 'finishing', handle };
			const rpc = await loadRpc();
			const session = await rpc.createServerSession(pds, serverUrl, await this.#deps.transportFor(serverUrl), signal);
			signal.throwIfAborted();
			if (!(await completeLogin(session, id, signal))) throw new DOMException('Superseded', 'AbortError');
			// Cancel landed after the write committed but before this line: it still wins.
			if (signal.aborted || this.#attempt?.id !== id) {
				await removeSessionIf(session);
				throw new DOMException('Cancelled', 'AbortError');
			}
			this.#attempt = undefined;
			this.#state = { status: 'done', session };
			this.#deps.onSignedIn(session);
			void this.#releaseClaim(id);
		} catch (err) {
			if (unloading) return;
			await clearPendingLogin(id).catch(() => {});
			if (pds) void this.#revokeOrphan(pds.sub);
			void this.#releaseClaim(id);
			if (this.#attempt?.id !== id) return; // cancelled: cancel() already set the state
			// The library leaves its popup open when the handle fails to resolve.
			closeQuietly(this.#attempt.popup);
			const rpc = await loadRpc().catch(() => undefined);
			const aborted = (err instanceof DOMException && err.name === 'AbortError') || rpc?.isAbort(err);
			const message = aborted ? undefined : await this.#explain(rpc, err, handle, serverUrl);
			if (this.#attempt?.id !== id) return; // cancelled while the clock was read
			this.#attempt = undefined;
			this.#state = message === undefined ? { status: 'idle', message: CANCELLED_MESSAGE } : { status: 'failed', message };
		}
	}

	/** What went wrong, in words; a clock that is off is named as the cause when it may be one. */
	async #explain(rpc: Rpc | undefined, err: unknown, handle: string, serverUrl: string): Promise<string> {
		if (!rpc) return NOT_LOADED_MESSAGE;
		const clock = rpc.mayBeClockTrouble(err) ? await this.#deps.checkClock?.(serverUrl).catch(() => undefined) : undefined;
		return clock ?? rpc.describeLoginError(err, handle);
	}

	/** The PDS granted access but no session came of it: take the grant back. */
	async #revokeOrphan(did: string): Promise<void> {
		try {
			const stored = await getSession();
			if (stored?.did === did) return; // signed in meanwhile (another tab): it's theirs
			await this.#deps.revokeOAuth?.(did);
		} catch {
			// Best effort: the grant expires at the PDS on its own.
		}
	}

	async #releaseClaim(id: string): Promise<void> {
		const claim = this.#claims.get(id);
		this.#claims.delete(id);
		(await claim)?.();
	}

	async #redirect(client: Promise<OAuthPopupClient>, id: string, serverUrl: string, handle: string, claim: Promise<unknown>, channel?: string): Promise<void> {
		this.#state = { status: 'redirecting', handle };
		try {
			await claim;
			// The shared channel rides with the pending login: the page is about to leave for the PDS.
			await savePendingLogin({ id, serverUrl, handle, startedAt: Date.now(), mode: 'redirect', ...(channel ? { channel } : {}) });
			await (await client).signInRedirect(handle, { state: `${REDIRECT_STATE_PREFIX}${id}`, scope: OAUTH_SCOPE });
		} catch (err) {
			await clearPendingLogin(id).catch(() => {});
			void this.#releaseClaim(id);
			if (this.#attempt?.id !== id) return;
			const message = await this.#explain(await loadRpc().catch(() => undefined), err, handle, serverUrl);
			if (this.#attempt?.id !== id) return;
			this.#attempt = undefined;
			this.#state = { status: 'failed', message };
		}
	}

	/** Aborts the attempt in flight, if any; nothing it finishes later is written. */
	cancel(message = CANCELLED_MESSAGE): void {
		const attempt = this.#attempt;
		if (!attempt) return;
		this.#attempt = undefined;
		attempt.controller.abort();
		closeQuietly(attempt.popup);
		void clearPendingLogin(attempt.id).catch(() => {});
		void this.#releaseClaim(attempt.id);
		this.#state = { status: 'idle', message };
	}

	reset(): void {
		this.cancel();
		this.#state = { status: 'idle' };
	}
}

function closeQuietly(popup: Window | undefined): void {
	try {
		if (popup && !popup.closed) popup.close();
	} catch {
		// A cross-origin or already-gone window: nothing to close.
	}
}
