// The live list of channels and who is in each. Written only by its own WatchChannels
// stream; read by the signed-in screen (the list) and the call (who is where).
//
// The stream is the only source: no polling. When it drops, it resumes with capped,
// jittered exponential backoff, at once when the browser comes back online, and after
// renewing the session when the server says the JWT expired. The backoff starts over only
// after a stream stayed up a while: a proxy that closes every stream right after its
// snapshot must not make each client reconnect several times a second. Every (re)opened stream
// starts with a snapshot that replaces the whole list, so no stale person survives a resume.
//
// Before the first snapshot, the screen may show the last known list (showLastKnown): it is
// marked as such (source 'last-known') and the first snapshot replaces it. Each live change
// goes to `remember`, which keeps the last known list for the next start.
//
// The transport is not in the first screen's bundle: the screen starts the directory once
// it has loaded (rpc-loader.ts), and the error classes come from the same chunk.
import type { Client } from '@connectrpc/connect';
import type { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { loadRpc } from '$lib/api/rpc-loader.js';
import { applyEvent, type ChannelView } from './channel-list.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

export type DirectoryStatus = 'live' | 'reconnecting' | 'offline';
/** Where the list on screen comes from: the stream, or the last known list of an earlier visit. */
export type DirectorySource = 'stream' | 'last-known';

export interface DirectoryDeps {
	client: Client<typeof ChannelsService>;
	/** Session renewal; resolves to the new JWT, or undefined when the session ended. */
	renew: () => Promise<string | undefined>;
	backoff?: BackoffOptions;
	/** A stream silent this long (no event, no heartbeat) is treated as dead. */
	silenceMs?: number;
	/** A stream that stayed up this long after its snapshot resets the backoff. */
	stableMs?: number;
	/** Where `online`/`offline` events come from (window in the browser). */
	events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
	isOnline?: () => boolean;
	/** Called with the list after every live change (the last known list's writer). */
	remember?: (channels: ChannelView[]) => void;
}

export class ChannelDirectory {
	#channels = $state.raw<ChannelView[] | undefined>();
	#status = $state<DirectoryStatus>('reconnecting');
	#source = $state<DirectorySource | undefined>();
	#savedAt = $state<number | undefined>();
	#deps: DirectoryDeps | undefined;
	#stop: AbortController | undefined;
	#wake: (() => void) | undefined;

	get channels(): ChannelView[] | undefined {
		return this.#channels;
	}

	get status(): DirectoryStatus {
		return this.#status;
	}

	/** 'last-known' until the first snapshot: the list is not live, and joins wait. */
	get source(): DirectorySource | undefined {
		return this.#source;
	}

	/** When the last known list on screen was live (epoch ms); undefined once the stream's list shows. */
	get savedAt(): number | undefined {
		return this.#savedAt;
	}

	/**
	 * Whether the list declares this channel not end-to-end encrypted (joined without keys).
	 * A channel the list does not know (not loaded yet) is encrypted.
	 */
	isPlain(channelId: string | undefined): boolean {
		return this.#channels?.find((c) => c.id === channelId)?.plain === true;
	}

	/** Shows the last known list until the stream's first snapshot; never over a list from the stream. */
	showLastKnown(channels: ChannelView[], savedAt: number): void {
		if (this.#source === 'stream') return;
		this.#channels = channels;
		this.#source = 'last-known';
		this.#savedAt = savedAt;
	}

	/** Starts watching; returns the stop function (the screen's $effect cleanup). */
	start(deps: DirectoryDeps): () => void {
		this.stop();
		this.#deps = deps;
		const stop = (this.#stop = new AbortController());
		const events = deps.events ?? (typeof window !== 'undefined' ? window : undefined);
		const online = () => this.#wake?.();
		const offline = () => (this.#status = 'offline');
		events?.addEventListener('online', online);
		events?.addEventListener('offline', offline);
		stop.signal.addEventListener('abort', () => {
			events?.removeEventListener('online', online);
			events?.removeEventListener('offline', offline);
		});
		void this.#run(stop.signal);
		return () => this.stop();
	}

	stop(): void {
		this.#stop?.abort();
		this.#stop = undefined;
		this.#wake?.();
	}

	async #run(stopped: AbortSignal): Promise<void> {
		const deps = this.#deps!;
		const { Code, ConnectError } = await loadRpc();
		if (stopped.aborted) return;
		const isOnline = deps.isOnline ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine));
		let attempt = 0;
		let renewedJustNow = false;
		while (!stopped.aborted) {
			const live = { since: undefined as number | undefined };
			const withRenewedJwt = renewedJustNow;
			renewedJustNow = false;
			const err = await this.#watchOnce(deps, stopped, live).then(
				() => undefined,
				(e: unknown) => ConnectError.from(e)
			);
			if (stopped.aborted) return;
			// The backoff starts over only after a stream stayed up: a proxy that closes streams
			// right after their snapshot must not make every client reconnect several times a second.
			if (live.since !== undefined && Date.now() - live.since >= (deps.stableMs ?? 30_000)) attempt = 0;
			// Renewing needs the network (the PDS, then us): offline, wait; the stream reopened
			// once back online is refused again and renews then.
			if (err?.code === Code.Unauthenticated && isOnline()) {
				const token = await deps.renew().catch(() => 'offline');
				if (stopped.aborted) return;
				if (!token) return; // the session ended; sign-out takes the screen away
				if (token !== 'offline') {
					// The server ends every stream when its session expires: that is a stream's normal
					// end. A live list renewed just now resumes at once, stays on screen as it is (its
					// snapshot replaces it), and the backoff starts over.
					if (live.since !== undefined) {
						attempt = 0;
						continue;
					}
					// Refused because the JWT had expired (during an outage, or while backing off):
					// with the renewed one it reopens at once. Waiting out a backoff first could outlast
					// the new JWT's life too, and the list would never come back. Refused again with a
					// JWT renewed just now, it backs off like any other failure.
					if (!withRenewedJwt) {
						renewedJustNow = true;
						continue;
					}
				}
			}
			this.#status = isOnline() ? 'reconnecting' : 'offline';
			await this.#sleep(backoffDelay(attempt++, deps.backoff), stopped);
		}
	}

	/** One stream, until it ends; `live.since` is when it delivered its snapshot. */
	async #watchOnce(deps: DirectoryDeps, stopped: AbortSignal, live: { since: number | undefined }): Promise<void> {
		const call = new AbortController();
		const abort = () => call.abort();
		stopped.addEventListener('abort', abort);
		const silenceMs = deps.silenceMs ?? 45_000;
		let watchdog = setTimeout(abort, silenceMs);
		let got = false;
		try {
			for await (const res of deps.client.watchChannels({}, { signal: call.signal })) {
				clearTimeout(watchdog);
				watchdog = setTimeout(abort, silenceMs);
				if (res.event.case === 'snapshot' && !got) {
					got = true;
					live.since = Date.now();
				}
				if (!got) continue; // changes before a snapshot have nothing to apply to
				this.#channels = applyEvent(this.#source === 'stream' ? (this.#channels ?? []) : [], res.event);
				this.#source = 'stream';
				this.#savedAt = undefined;
				this.#status = 'live';
				deps.remember?.(this.#channels);
			}
		} finally {
			clearTimeout(watchdog);
			stopped.removeEventListener('abort', abort);
		}
	}

	/** Waits `ms`, or less when the browser comes back online or the directory stops. */
	#sleep(ms: number, stopped: AbortSignal): Promise<void> {
		return new Promise((resolve) => {
			if (stopped.aborted) return resolve();
			const done = () => {
				clearTimeout(timer);
				this.#wake = undefined;
				resolve();
			};
			const timer = setTimeout(done, ms);
			this.#wake = done;
		});
	}

	reset(): void {
		this.stop();
		this.#channels = undefined;
		this.#source = undefined;
		this.#savedAt = undefined;
		this.#status = 'reconnecting';
		this.#deps = undefined;
	}
}
