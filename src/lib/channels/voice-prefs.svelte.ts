// The person's audio preferences on this device: capture processing, devices, the
// push-to-talk key, call sounds. Written by the settings screen; read by VoiceRoom on every
// join. Kept in localStorage (nothing secret) and synced across tabs by the storage event.

export interface VoicePrefs {
	echoCancellation: boolean;
	noiseSuppression: boolean;
	autoGainControl: boolean;
	/** Empty: the system default, followed when a new default device is plugged in. */
	inputDeviceId: string;
	outputDeviceId: string;
	/** A KeyboardEvent.code. */
	pushToTalkKey: string;
	sounds: boolean;
}

export const DEFAULT_PREFS: VoicePrefs = {
	echoCancellation: true,
	noiseSuppression: true,
	autoGainControl: true,
	inputDeviceId: '',
	outputDeviceId: '',
	pushToTalkKey: 'Backquote',
	sounds: true
};

const KEY = 'microclimate:voice-prefs';

export class VoicePrefsStore {
	#current = $state.raw<VoicePrefs>(DEFAULT_PREFS);
	#storage: Storage | undefined;

	constructor(storage: Storage | undefined = typeof localStorage === 'undefined' ? undefined : localStorage) {
		this.#storage = storage;
		this.#current = this.#read();
		if (typeof window !== 'undefined') {
			window.addEventListener('storage', (e) => {
				if (e.key === KEY) this.#current = this.#read();
			});
		}
	}

	get current(): VoicePrefs {
		return this.#current;
	}

	update(change: Partial<VoicePrefs>): void {
		this.#current = { ...this.#current, ...change };
		try {
			this.#storage?.setItem(KEY, JSON.stringify(this.#current));
		} catch {
			// Storage full or disabled (private mode): the choice holds for this visit.
		}
	}

	#read(): VoicePrefs {
		try {
			const raw = this.#storage?.getItem(KEY);
			const saved = raw ? (JSON.parse(raw) as Partial<VoicePrefs>) : {};
			const merged = { ...DEFAULT_PREFS };
			for (const k of Object.keys(DEFAULT_PREFS) as (keyof VoicePrefs)[]) {
				if (typeof saved[k] === typeof DEFAULT_PREFS[k]) (merged as Record<string, unknown>)[k] = saved[k];
			}
			return merged;
		} catch {
			return { ...DEFAULT_PREFS };
		}
	}

	reset(): void {
		this.#storage?.removeItem(KEY);
		this.#current = { ...DEFAULT_PREFS };
	}
}

export const voicePrefs = new VoicePrefsStore();
