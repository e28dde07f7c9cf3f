// What may hold back the "Update available — reload" prompt. Written by code that a
// reload would interrupt (the voice code registers "a call is active"); read by
// AppUpdate, which offers the update only while nothing blocks it.
//
// A blocker is a function read inside a $derived: when it reads $state (for example a
// VoiceRoom's `connected` getter), the prompt appears by itself as soon as it turns false.
// A blocker that reads plain variables must call `updateBlockers.recheck()` when it changes.
//
// Registering and removing are called from effects (the layout adds its blocker in one):
// they read the list untracked, or the calling effect would depend on the list it writes
// and re-run itself until Svelte gives up (effect_update_depth_exceeded).
import { untrack } from 'svelte';

export type UpdateBlocker = () => boolean;

export class UpdateBlockers {
	#blockers = $state.raw<UpdateBlocker[]>([]);
	#version = $state(0);

	/** Registers a blocker; returns the function that removes it. */
	add(isBlocking: UpdateBlocker): () => void {
		this.#blockers = [...untrack(() => this.#blockers), isBlocking];
		return () => {
			this.#blockers = untrack(() => this.#blockers).filter((b) => b !== isBlocking);
		};
	}

	/** Reactive: some blocker says a reload must wait. */
	get active(): boolean {
		void this.#version;
		return this.#blockers.some((isBlocking) => isBlocking());
	}

	/** For blockers that are not reactive: re-reads them all. */
	recheck(): void {
		untrack(() => this.#version++);
	}

	reset(): void {
		this.#blockers = [];
		this.#version = 0;
	}
}

export const updateBlockers = new UpdateBlockers();

/**
 * The hook for the voice code: `setUpdateBlocker(() => room.inCall)` while a call may run.
 * Returns the unregister function (call it when the call UI is torn down).
 */
export function setUpdateBlocker(isBlocking: UpdateBlocker): () => void {
	return updateBlockers.add(isBlocking);
}
