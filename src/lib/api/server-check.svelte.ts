// Which server the /connect screen is pointed at, and whether it is a Microclimate server.
// Written by the "Server" field (check), read by the connect screen to show the server's
// name or what went wrong. Only the latest check counts: an older answer that arrives late
// is dropped, so a slow first host can't overwrite the one the person typed next.
//
// The check needs the transport, which loads after the first paint (rpc-loader.ts): the field
// is usable at once, and a check asked for meanwhile runs as soon as the transport is there.
import type { ServerInfoFailure } from './server-info.js';
import { loadRpc } from './rpc-loader.js';
import { normaliseServerUrl } from './server-url.js';
import type { GetServerInfoResponse } from '$lib/gen/microclimate/auth/v1/auth_pb.js';

export type ServerCheckState =
	| { status: 'idle' }
	| { status: 'checking'; url: string }
	| { status: 'ok'; url: string; info: GetServerInfoResponse }
	| { status: 'invalid'; message: string }
	| { status: 'failed'; url: string; reason: ServerInfoFailure; message: string };

export class ServerCheck {
	#state = $state.raw<ServerCheckState>({ status: 'idle' });
	#inFlight: AbortController | undefined;

	get current(): ServerCheckState {
		return this.#state;
	}

	/** The verified server's info, when the last check succeeded. */
	get info(): GetServerInfoResponse | undefined {
		return this.#state.status === 'ok' ? this.#state.info : undefined;
	}

	async check(input: string): Promise<ServerCheckState> {
		this.#inFlight?.abort();
		const normalised = normaliseServerUrl(input);
		if (!normalised.ok) {
			this.#inFlight = undefined;
			return (this.#state = { status: 'invalid', message: normalised.message });
		}
		const { url } = normalised;
		const controller = new AbortController();
		this.#inFlight = controller;
		this.#state = { status: 'checking', url };
		let next: ServerCheckState;
		const rpc = await loadRpc().catch(() => undefined);
		if (this.#inFlight !== controller) return this.#state;
		if (!rpc) {
			this.#inFlight = undefined;
			return (this.#state = { status: 'failed', url, reason: 'error', message: 'Microclimate could not load part of itself. Check your connection, then reload the page.' });
		}
		try {
			const result = await rpc.fetchServerInfo(rpc.createServerTransport(url), url, { signal: controller.signal });
			next = result.ok
				? { status: 'ok', url, info: result.info }
				: { status: 'failed', url, reason: result.reason, message: result.message };
		} catch {
			// Aborted by a newer check: that check owns the state now.
			return this.#state;
		}
		if (this.#inFlight !== controller) return this.#state;
		this.#inFlight = undefined;
		return (this.#state = next);
	}

	reset(): void {
		this.#inFlight?.abort();
		this.#inFlight = undefined;
		this.#state = { status: 'idle' };
	}
}
