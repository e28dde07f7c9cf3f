// Polite screen-reader announcements of the call (connection changes, who joins or leaves).
// Written by VoiceRoom; read by the one live region the signed-in layout renders.
export class Announcer {
	#message = $state('');
	#clear: ReturnType<typeof setTimeout> | undefined;

	get message(): string {
		return this.#message;
	}

	say(text: string): void {
		// Appending a space when the text repeats makes screen readers announce it again.
		this.#message = text === this.#message ? `${text}\u00a0` : text;
		clearTimeout(this.#clear);
		this.#clear = setTimeout(() => (this.#message = ''), 5000);
	}

	reset(): void {
		clearTimeout(this.#clear);
		this.#message = '';
	}
}
