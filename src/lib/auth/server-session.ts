// Turns a signed-in OAuth session into this app's server session: ask the person's PDS for
// a short-lived service token bound to the chosen server and to CreateSession, then trade
// it with the server. Used by the login flow and by silent renewal.
import { createClient, type Transport } from '@connectrpc/connect';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AuthService } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import type { AppSession } from './app-session.js';
import { CREATE_SESSION_LXM, serviceDidFor } from './service-did.js';

/** The part of an OAuth session this needs: DPoP-bound requests to the person's PDS. */
export interface PdsSession {
	sub: string;
	fetchHandler(pathname: string, init?: RequestInit): Promise<Response>;
}

export class ServiceAuthError extends Error {
	/**
	 * `refusal`: this answer ends the session for good whatever its status (the server
	 * vouched for someone else). Statuses are judged in renewal-errors.ts.
	 */
	constructor(
		message: string,
		readonly status: number,
		readonly refusal = false,
		/** The PDS's error name, e.g. `invalid_dpop_proof`. */
		readonly error?: string
	) {
		super(message);
		this.name = 'ServiceAuthError';
	}
}

export async function requestServiceToken(pds: PdsSession, serverUrl: string, signal?: AbortSignal): Promise<string> {
	// No `exp`: the PDS then stamps the token by its own clock (60 s, enough to reach the
	// server). One computed here from this device's clock is refused ("expiration is in past")
	// when the clock is a minute slow, and outlives the server's limit when it is fast.
	const params = new URLSearchParams({ aud: serviceDidFor(serverUrl), lxm: CREATE_SESSION_LXM });
	const res = await pds.fetchHandler(`/xrpc/com.atproto.server.getServiceAuth?${params}`, { signal });
	if (!res.ok) {
		const body = (await res.json().catch(() => ({}))) as { message?: string; error?: string };
		throw new ServiceAuthError(body.message ?? `Your PDS answered ${res.status}`, res.status, false, body.error);
	}
	const body = (await res.json()) as { token?: unknown };
	if (typeof body.token !== 'string') throw new ServiceAuthError('Your PDS returned no token', 502);
	return body.token;
}

export async function createServerSession(
	pds: PdsSession,
	serverUrl: string,
	transport: Transport,
	signal?: AbortSignal
): Promise<AppSession> {
	const serviceToken = await requestServiceToken(pds, serverUrl, signal);
	const res = await createClient(AuthService, transport).createSession({ serviceToken }, { signal });
	// The server must sign in the account that approved the popup, not another.
	if (res.did !== pds.sub) throw new ServiceAuthError('The server signed in a different account', 502, true);
	if (!res.sessionToken || !res.expiresAt) throw new ServiceAuthError('The server returned an incomplete session', 502);
	return {
		serverUrl,
		did: res.did,
		handle: res.handle,
		displayName: res.displayName,
		avatarUrl: res.avatarUrl,
		token: res.sessionToken,
		expiresAt: timestampMs(res.expiresAt)
	};
}
