// Which failures of a session renewal are a definite "no" (sign out) and which are the
// weather (keep the session, say "Reconnecting…", try again later).
//
// Why a list of refusals and not a list of network errors: a phone on a bad network fails
// in more ways than anyone can enumerate (the OAuth library's FetchRequestError, a PDS
// 502/503/429, Envoy's UNAVAILABLE, a server's RESOURCE_EXHAUSTED or INTERNAL, a timeout).
// Signing someone out, in every tab, for any of those is far worse than retrying; so only
// answers that say "this session is over" end it.
import { Code, ConnectError } from '@connectrpc/connect';
import { oauthLibrary } from './oauth-client.js';
import { ServiceAuthError } from './server-session.js';

/** PDS answers to getServiceAuth that refuse this OAuth session for good. */
const PDS_REFUSALS = new Set([400, 401, 403]);

export function isDefiniteRefusal(err: unknown): boolean {
	// The OAuth session was revoked, or can no longer be refreshed or used.
	const lib = oauthLibrary();
	if (lib && (err instanceof lib.TokenRefreshError || err instanceof lib.TokenRevokedError || err instanceof lib.TokenInvalidError)) {
		return true;
	}
	if (err instanceof ServiceAuthError) {
		// The PDS refused this device's DPoP proof, not the session: most often a clock off by
		// more than the PDS allows (a laptop waking from sleep). It passes once the clock is set.
		if (err.error === 'invalid_dpop_proof') return err.refusal;
		return err.refusal || PDS_REFUSALS.has(err.status);
	}
	if (err instanceof ConnectError) return err.code === Code.Unauthenticated || err.code === Code.PermissionDenied;
	return false;
}

export { RENEWAL_TIMEOUT_MS, RenewalTimeoutError } from './renewal-timeout.js';
