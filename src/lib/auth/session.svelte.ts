// The signed-in session of this tab. Written by the route gate (adopt), the login flow
// (adopt), silent renewal and sign-out; read by every screen behind the gate and by the
// channels transport (through a getter, so a renewed JWT is used at once).
//
// Tabs stay in step through a BroadcastChannel: signing out in one tab signs out every
// other tab of the app within a second; a renewal in one tab is picked up by the others.
// A tab that missed a message finds out from the stored record the next time it renews.
import { clearSession, getSession, replaceSession, sameRecord, type AppSession } from './app-session.js';
import type { PdsSession } from './server-session.js';
import { RENEWAL_TIMEOUT_MS, RenewalTimeoutError } from './renewal-timeout.js';
// The transport is not loaded with the first screen: renewal asks for it (rpc-loader.ts).
import { loadRpc } from '$lib/api/rpc-loader.js';

export type SignOutReason = 'signed-out' | 'change-server' | 'session-ended' | 'other-tab';

type TabMessage = { type: 'signed-out'; reason: SignOutReason } | { type: 'renewed' };

export interface SessionDeps {
	/** Restores the OAuth session of `did` (refreshing its tokens when needed). */
	restoreOAuth: (did: string) => Promise<PdsSession>;
	/** Revokes the OAuth session of `did` at the PDS; best effort. */
	revokeOAuth: (did: string) => Promise<void>;
	/** How long sign-out waits for the revocation before giving up on it (default 3 s). */
	revokeTimeoutMs?: number;
	/** How long one renewal may take before it gives up and keeps the session. */
	renewalTimeoutMs?: number;
}

const CHANNEL = 'microclimate:session';
/** A stored JWT that lives at least this much longer is adopted rather than renewed. */
const ADOPT_MARGIN_MS = 5_000;

export class Session {
	#current = $state.raw<AppSession | undefined>();
	#renewing: Promise<AppSession | undefined> | undefined;
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
			this.#tabs.onmessage = (e: MessageEvent<TabMessage>) => void this.#fromOtherTab(e.data).catch(() => {});
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
	 * session. Neither a failed delete (storage lost: app-session remembers the sign-out
	 * elsewhere) nor a failed revocation stops the sign-out: the person leaves the screen,
	 * every tab follows, and a person offline can still sign out of this browser.
	 */
	async signOut(reason: SignOutReason = 'signed-out'): Promise<void> {
		const was = this.#current;
		this.#current = undefined;
		await clearSession(was).catch(() => {});
		this.#tabs?.postMessage({ type: 'signed-out', reason } satisfies TabMessage);
		this.#emit(reason);
		if (was && this.#deps) {
			await Promise.race([this.#deps.revokeOAuth(was.did).catch(() => {}), sleep(this.#deps.revokeTimeoutMs ?? 3000)]);
		}
	}

	/** renewSession()'s token: what the channels transport and directory ask for. */
	async renew(): Promise<string | undefined> {
		return (await this.renewSession())?.token;
	}

	/**
	 * Gets a new server JWT through the OAuth session, once for all concurrent callers.
	 * Resolves to the session now in force (renewed here, or adopted from another tab), or
	 * undefined when the session ended (a definite refusal signs out). Any other failure
	 * (network, PDS or server trouble, the timeout) keeps the session and rejects: callers
	 * show "Reconnecting…" and try again with backoff.
	 */
	renewSession(): Promise<AppSession | undefined> {
		this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
		return this.#renewing;
	}

	async #renew(): Promise<AppSession | undefined> {
		if (!this.#current || !this.#deps) return undefined;
		// Another tab may have renewed, signed in anew or signed out, and this tab missed
		// the broadcast (a frozen phone tab): the stored record is the truth.
		const base = await getSession();
		const was = this.#current;
		if (!was) return undefined; // this tab signed out meanwhile
		if (!base) return this.#endedElsewhere();
		if (!sameRecord(base, was) && base.expiresAt > Date.now() + ADOPT_MARGIN_MS) return this.#adopt(base);

		const deadline = new AbortController();
		const timer = setTimeout(() => deadline.abort(new RenewalTimeoutError()), this.#deps.renewalTimeoutMs ?? RENEWAL_TIMEOUT_MS);
		try {
			const next = await untilAborted(this.#fetchNext(base, deadline.signal), deadline.signal);
			const result = await replaceSession(base, next);
			if (result.outcome === 'gone') return this.#endedElsewhere();
			if (result.outcome === 'replaced') return this.#adopt(result.stored);
			this.#current = next;
			this.#tabs?.postMessage({ type: 'renewed' } satisfies TabMessage);
			return next;
		} catch (err) {
			// A transport that could not load refuses nothing: the session stays.
			const rpc = await loadRpc().catch(() => undefined);
			if (!rpc?.isDefiniteRefusal(err)) throw err;
			// Refused, unless another tab renewed meanwhile: then that record stands.
			const stored = await getSession().catch(() => base);
			if (stored && !sameRecord(stored, base)) return this.#adopt(stored);
			await this.signOut('session-ended');
			return undefined;
		} finally {
			clearTimeout(timer);
		}
	}

	async #fetchNext(base: AppSession, signal: AbortSignal): Promise<AppSession> {
		const [pds, rpc] = await Promise.all([this.#deps!.restoreOAuth(base.did), loadRpc()]);
		signal.throwIfAborted();
		// The current session rides along so the server counts this against the account's
		// renewal budget, not the sign-ins of everyone behind the same address. It is the
		// stored record's own server (the transport sends a JWT only there).
		const transport = rpc.createServerTransport(base.serverUrl, { getBearer: () => base });
		return rpc.createServerSession(pds, base.serverUrl, transport, signal);
	}

	#adopt(stored: AppSession): AppSession {
		this.#current = stored;
		return stored;
	}

	#endedElsewhere(): undefined {
		if (this.#current) {
			this.#current = undefined;
			this.#emit('other-tab');
		}
		return undefined;
	}

	async #fromOtherTab(message: TabMessage): Promise<void> {
		if (message.type === 'renewed') {
			if (!this.#current) return;
			const stored = await getSession();
			if (!stored) this.#endedElsewhere();
			else if (!sameRecord(stored, this.#current)) this.#adopt(stored);
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

/** `work`, or the signal's reason once it aborts: a hung request never pins renewal. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
	});
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export const session = new Session();
