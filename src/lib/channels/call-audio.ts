// The one AudioContext of a call. Safari (and any browser without autoplay rights) starts an
// AudioContext suspended unless it is created or resumed inside the tap that asked for sound,
// and an `await` in between loses the tap. So VoiceRoom opens it first thing in the Join tap,
// and everything that plays or measures during the call uses this one: LiveKit's mix of the
// others' voices, the speaking meter, the join/leave blips. It is closed when the call ends
// (iOS allows only a few live contexts per page, and an open one keeps the audio hardware up).

export interface CallAudioOptions {
	create?: () => AudioContext;
	/** How long a closing context lives on, so the leave blip is heard to its end. */
	graceMs?: number;
}

export class CallAudio {
	#context: AudioContext | undefined;
	#closing: ReturnType<typeof setTimeout> | undefined;
	readonly #create: () => AudioContext;
	readonly #graceMs: number;

	constructor(options: CallAudioOptions = {}) {
		this.#create = options.create ?? (() => new AudioContext({ latencyHint: 'interactive' }));
		this.#graceMs = options.graceMs ?? 400;
	}

	/** The call's context, or undefined outside a call. */
	get context(): AudioContext | undefined {
		return this.#context;
	}

	/** Creates (or keeps) the call's context and resumes it. Synchronous: call it in the tap. */
	open(): AudioContext {
		clearTimeout(this.#closing);
		this.#closing = undefined;
		if (!this.#context || this.#context.state === 'closed') this.#context = this.#create();
		void this.resume();
		return this.#context;
	}

	/**
	 * Resumes a suspended (or, on iOS, interrupted) context. The browser allows it only inside
	 * a tap, so the "Tap to enable audio" handler calls this before anything it awaits.
	 */
	resume(): Promise<void> {
		const c = this.#context;
		if (!c || c.state === 'running' || c.state === 'closed') return Promise.resolve();
		return c.resume().catch(() => {}); // refused: the "Tap to enable audio" banner stays
	}

	/** Ends the call's sound, after a short grace; an `open()` meanwhile keeps the context. */
	close(): void {
		const c = this.#context;
		if (!c || this.#closing) return;
		this.#closing = setTimeout(() => {
			this.#closing = undefined;
			if (this.#context === c) this.#context = undefined;
			void c.close().catch(() => {});
		}, this.#graceMs);
	}
}
