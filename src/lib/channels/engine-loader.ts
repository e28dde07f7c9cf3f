// Loads the call engine once per call screen and warms the way to LiveKit before a join.
// VoiceRoom asks it for the engine on every join and tells it each grant's LiveKit URL; the
// channel cards call `prepare` when a join looks near (a press on, or focus in, a Join
// button), so the tap waits on less: the engine's chunk is already loaded, and LiveKit's
// `Room.prepareConnection` has already resolved and opened (for https, TLS) its server.
//
// Nothing here asks the API server for anything. A channel token is never fetched early:
// GetChannelToken ends this person's call in any other channel, on any device, which only a
// real tap on Join may do (and a hover or a touch that starts a scroll is not one).
import type { EngineFactory, VoiceEngine } from './voice-engine.js';

/** At most one warm-up request to LiveKit per this long (focus moving down the list, repeated presses). */
export const PREPARE_EVERY_MS = 20_000;

export class EngineLoader {
	#loading: Promise<VoiceEngine> | undefined;
	#signalUrl: string | undefined;
	#preparedAt = Number.NEGATIVE_INFINITY;
	readonly #factory: EngineFactory;
	readonly #now: () => number;

	constructor(factory: EngineFactory, now: () => number = () => Date.now()) {
		this.#factory = factory;
		this.#now = now;
	}

	/** The engine, its chunk loaded on first use; after a failed load the next call tries again. */
	engine(): Promise<VoiceEngine> {
		this.#loading ??= this.#factory().catch((err: unknown) => {
			this.#loading = undefined;
			throw err;
		});
		return this.#loading;
	}

	/** The LiveKit URL of the latest grant: the server that the next `prepare` warms. */
	remember(signalUrl: string): void {
		if (signalUrl !== this.#signalUrl) this.#preparedAt = Number.NEGATIVE_INFINITY;
		this.#signalUrl = signalUrl;
	}

	/**
	 * A join looks near: load the engine and warm the connection to the last grant's LiveKit
	 * server (before the first grant of this screen no URL is known: only the chunk loads).
	 * Never rejects: a chunk that cannot load is reported by the join itself.
	 */
	prepare(): void {
		const url = this.#signalUrl;
		const warm = url !== undefined && this.#now() - this.#preparedAt >= PREPARE_EVERY_MS;
		if (warm) this.#preparedAt = this.#now();
		void this.engine().then(
			(engine) => (warm ? engine.prepare(url) : undefined),
			() => {}
		);
	}
}
