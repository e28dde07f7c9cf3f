// Asks a server who it is (AuthService.GetServerInfo) and turns every way that can fail
// into one of a few outcomes a person can act on.
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { AuthService, type GetServerInfoResponse } from '$lib/gen/microclimate/auth/v1/auth_pb.js';

export type ServerInfoFailure = 'unreachable' | 'not-microclimate' | 'unavailable' | 'error';

export type ServerInfoResult =
	| { ok: true; info: GetServerInfoResponse }
	| { ok: false; reason: ServerInfoFailure; message: string };

export interface ServerInfoOptions {
	signal?: AbortSignal;
	timeoutMs?: number;
	/**
	 * Tells "nothing answers at this address" from "something answers but is not ours".
	 * A browser reports both a dead host and a host without CORS headers as the same
	 * failed fetch; an opaque no-cors request still succeeds against a live host.
	 */
	hostAnswers?: (url: string) => Promise<boolean>;
}

export async function fetchServerInfo(
	transport: Transport,
	baseUrl: string,
	options: ServerInfoOptions = {}
): Promise<ServerInfoResult> {
	const client = createClient(AuthService, transport);
	try {
		const info = await client.getServerInfo({}, { signal: options.signal, timeoutMs: options.timeoutMs ?? 8000 });
		if (!info.name || !info.lxm) return notMicroclimate(baseUrl);
		return { ok: true, info };
	} catch (e) {
		const err = ConnectError.from(e);
		if (options.signal?.aborted) throw err;
		return classify(err, baseUrl, options.hostAnswers ?? hostAnswersNoCors);
	}
}

async function classify(
	err: ConnectError,
	baseUrl: string,
	hostAnswers: (url: string) => Promise<boolean>
): Promise<ServerInfoResult> {
	const host = displayHost(baseUrl);
	switch (err.code) {
		case Code.Unimplemented:
			return notMicroclimate(baseUrl);
		case Code.Unavailable:
			return {
				ok: false,
				reason: 'unavailable',
				message: `${host} answered, but its Microclimate service is not running right now. Try again in a minute.`
			};
		case Code.DeadlineExceeded:
			return unreachable(host);
		case Code.Unknown:
		case Code.Internal:
			// Either the request never got an answer (network, DNS, CORS) or the answer was
			// not gRPC-Web at all. Ask the host itself to tell the two apart.
			return (await hostAnswers(baseUrl)) ? notMicroclimate(baseUrl) : unreachable(host);
		default:
			return { ok: false, reason: 'error', message: `${host} answered with an error: ${err.rawMessage}` };
	}
}

function notMicroclimate(baseUrl: string): ServerInfoResult {
	return {
		ok: false,
		reason: 'not-microclimate',
		message: `${displayHost(baseUrl)} answers, but it is not a Microclimate server. Check the address.`
	};
}

function unreachable(host: string): ServerInfoResult {
	return {
		ok: false,
		reason: 'unreachable',
		message: `Can't reach ${host}. Check the address and your connection.`
	};
}

function displayHost(baseUrl: string): string {
	try {
		return new URL(baseUrl).host;
	} catch {
		return baseUrl;
	}
}

async function hostAnswersNoCors(url: string): Promise<boolean> {
	try {
		await fetch(url, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(5000) });
		return true;
	} catch {
		return false;
	}
}
