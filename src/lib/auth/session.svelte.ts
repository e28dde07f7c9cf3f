// The signed-in session of this tab. Written by the route gate (adopt), the login flow
// (adopt), silent renewal and sign-out; read by every screen behind the gate and by the
// channels transport (through a getter, so a renewed JWT is used at once).
//
// Tabs stay in step through a BroadcastChannel: signing out in one tab signs out every
// other tab of the app within a second; a renewal in one tab is picked up by the others.
import { getSession, clearSession, saveSession, type AppSession } from './app-session.js';
import { createServerSession, type PdsSession } from './server-session.js';
import { createServerTransport } from '$lib/api/transport.js';
import { Code, ConnectError } from '@connectrpc/connect';

export type SignOutReason = 'signed-out' | 'change-server' | 'session-ended' | 'other-tab';

type TabMessage = { type: 'signed-out'; reason: SignOutReason } | { type: 'renewed' };

export interface SessionDeps {
	/** Restores the OAuth session of `did` (refreshing its tokens when needed). */
	restoreOAuth: (did: string) => Promise<PdsSession>;
	/** Revokes the OAuth session of `did` at the PDS; best effort. */
	revokeOAuth: (did: string) => Promise<void>;
	/** How long sign-out waits for the revocation before giving up on it (default 3 s). */
	revokeTimeoutMs?: number;
}

const CHANNEL = 'microclimate:session';

export class Session {
	#current = $state.raw<AppSession | undefined>();
	#renewing: Promise<string | undefined> | undefined;
	#listeners = new Set<(reason: SignOutReason) => void>();
	#tabs: BroadcastChannel | undefined;
	#deps: SessionDeps | undefined;

	get current(): AppSession | undefined {
		return this.#current;
	}

	configure(deps: SessionDeps): void {
		this.#deps = deps;
		if (!this.#tabs && typeof BroadcastChannel !== 'undefined') {
			this.#tabs = new BroadcastChannel(CHANNEL);
			this.#tabs.onmessage = (e: MessageEvent<TabMessage>) => void this.#fromOtherTab(e.data);
		}
	}

	adopt(session: AppSession): void {
		this.#current = session;
	}

	/** Reads the stored session (the route gate calls this on every entry). */
	async load(): Promise<AppSession | undefined> {
		this.#current = await getSession();
		return this.#current;
	}

	/** Subscribes to sign-outs of this tab, whatever their cause; returns the unsubscribe. */
	onSignedOut(listener: (reason: SignOutReason) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/**
	 * Clears the app session atomically, tells the other tabs, then revokes the OAuth
	 * session. Revocation is best effort and never blocks the sign-out: a person offline
	 * must still be able to sign out of this browser.
	 */
	async signOut(reason: SignOutReason = 'signed-out'): Promise<void> {
		const was = this.#current;
		this.#current = undefined;
		await clearSession();
		this.#tabs?.postMessage({ type: 'signed-out', reason } satisfies TabMessage);
		this.#emit(reason);
		if (was && this.#deps) {
			await Promise.race([this.#deps.revokeOAuth(was.did).catch(() => {}), sleep(this.#deps.revokeTimeoutMs ?? 3000)]);
		}
	}

	/**
	 * Gets a new server JWT through the OAuth session, once for all concurrent callers.
	 * A refusal (revoked OAuth session, server says no) ends the session; a network
	 * failure does not: the person stays signed in and the call fails as offline.
	 */
	renew(): Promise<string | undefined> {
		this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
		return this.#renewing;
	}

	async #renew(): Promise<string | undefined> {
		const was = this.#current;
		if (!was || !this.#deps) return undefined;
		try {
			const pds = await this.#deps.restoreOAuth(was.did);
			// The current session rides along so the server counts this against the account's
			// renewal budget, not the sign-ins of everyone behind the same address.
			const transport = createServerTransport(was.serverUrl, { getBearer: () => was.token });
			const next = await createServerSession(pds, was.serverUrl, transport);
			const stored = await getSession();
			// Signed out (or into something else) meanwhile: write nothing.
			if (stored?.did !== was.did || stored.serverUrl !== was.serverUrl) return undefined;
			await saveSession(next);
			this.#current = next;
			this.#tabs?.postMessage({ type: 'renewed' } satisfies TabMessage);
			return next.token;
		} catch (err) {
			if (isNetworkFailure(err)) throw err;
			await this.signOut('session-ended');
			return undefined;
		}
	}

	async #fromOtherTab(message: TabMessage): Promise<void> {
		if (message.type === 'renewed') {
			const stored = await getSession();
			if (stored && stored.did === this.#current?.did) this.#current = stored;
			return;
		}
		if (!this.#current) return;
		this.#current = undefined;
		this.#emit('other-tab');
	}

	#emit(reason: SignOutReason): void {
		for (const listener of this.#listeners) listener(reason);
	}

	reset(): void {
		this.#current = undefined;
		this.#renewing = undefined;
		this.#listeners.clear();
		this.#tabs?.close();
		this.#tabs = undefined;
		this.#deps = undefined;
	}
}

function isNetworkFailure(err: unknown): boolean {
	if (err instanceof TypeError) return true;
	// The OAuth library wraps a failed fetch to the PDS (down, unreachable) in its own
	// FetchRequestError, with the browser's TypeError as the cause.
	if (err instanceof Error && err.cause instanceof TypeError) return true;
	return err instanceof ConnectError && (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded || (err.code === Code.Unknown && err.cause instanceof TypeError));
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export const session = new Session();
