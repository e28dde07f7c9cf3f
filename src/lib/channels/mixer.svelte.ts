// What this person hears from each other person: a volume (0-200 %), a local mute, and
// deafen over everything. Written by the call controls; VoiceRoom pushes the resulting
// gains to the engine. Local only: nobody else sees these choices.
export class Mixer {
	#volumes = $state.raw<Record<string, number>>({});
	#localMuted = $state.raw<Record<string, boolean>>({});
	#deafened = $state(false);

	get deafened(): boolean {
		return this.#deafened;
	}

	volume(identity: string): number {
		return this.#volumes[identity] ?? 1;
	}

	isLocallyMuted(identity: string): boolean {
		return this.#localMuted[identity] ?? false;
	}

	/** The playback gain of one person, all choices applied. */
	gain(identity: string): number {
		return this.#deafened || this.isLocallyMuted(identity) ? 0 : this.volume(identity);
	}

	setVolume(identity: string, volume: number): void {
		this.#volumes = { ...this.#volumes, [identity]: Math.min(2, Math.max(0, volume)) };
	}

	setLocallyMuted(identity: string, muted: boolean): void {
		this.#localMuted = { ...this.#localMuted, [identity]: muted };
	}

	setDeafened(deafened: boolean): void {
		this.#deafened = deafened;
	}

	reset(): void {
		this.#volumes = {};
		this.#localMuted = {};
		this.#deafened = false;
	}
}
