// Whether the browser believes it is online. Written by the browser's online/offline
// events (start() in the root layout); read by the offline banner, and by whoever wants
// to resume work when the network returns (onReconnect).
//
// navigator.onLine false is reliable ("certainly offline"); true only means a network
// exists, so callers still handle failed requests.

export class Connectivity {
	#online = $state(true);
	#reconnect = new Set<() => void>();

	get online(): boolean {
		return this.#online;
	}

	/** Follows the browser's online/offline events; returns the stop function. */
	start(target: Window = window): () => void {
		this.#online = target.navigator.onLine;
		const online = () => {
			const was = this.#online;
			this.#online = true;
			if (!was) for (const listener of this.#reconnect) listener();
		};
		const offline = () => (this.#online = false);
		target.addEventListener('online', online);
		target.addEventListener('offline', offline);
		// Firefox (seen under its WebDriver network emulation) fires no 'online' in a page
		// that loaded offline, though navigator.onLine turns true: while offline, also look.
		const look = target.setInterval(() => {
			if (!this.#online && target.navigator.onLine) online();
		}, 2000);
		return () => {
			target.clearInterval(look);
			target.removeEventListener('online', online);
			target.removeEventListener('offline', offline);
		};
	}

	/** Runs `listener` each time the connection comes back; returns the unsubscribe. */
	onReconnect(listener: () => void): () => void {
		this.#reconnect.add(listener);
		return () => this.#reconnect.delete(listener);
	}

	reset(): void {
		this.#online = true;
		this.#reconnect.clear();
	}
}

export const connectivity = new Connectivity();
