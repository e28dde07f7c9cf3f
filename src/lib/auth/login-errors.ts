// Every way a sign-in can fail, said in words a person can act on. Nothing secret (tokens,
// codes, URLs with parameters) is ever put into these messages.
import { Code, ConnectError } from '@connectrpc/connect';
import { oauthLibrary } from './oauth-client.js';
import { ServiceAuthError } from './server-session.js';
import { StorageUnavailableError } from './app-db.js';

/** The same words as LoginFlow's own (login-flow.svelte.ts, which must not import this module). */
export const CANCELLED_MESSAGE = 'Sign-in cancelled.';

export function describeLoginError(err: unknown, handle: string): string {
	const lib = oauthLibrary();
	if (isAbort(err)) return CANCELLED_MESSAGE;
	if (err instanceof StorageUnavailableError) {
		return 'This browser is blocking storage, so you can’t stay signed in. Leave private browsing or allow this site to store data, then reload.';
	}
	if (err instanceof Error && err.message === 'Timeout') {
		return 'The sign-in window was open too long without an answer. Sign in again to retry.';
	}
	if (lib && err instanceof lib.OAuthCallbackError) {
		const code = err.params.get('error');
		if (code === 'access_denied') {
			return 'You denied access on your account’s sign-in page, so you are not signed in. Sign in again when you are ready.';
		}
		return `Your account’s server refused the sign-in${code ? ` (${code})` : ''}. Try again, or check your account.`;
	}
	if (lib && err instanceof lib.OAuthResolverError) {
		// No answer at all (the service that resolves handles, often the account's own server,
		// is down or unreachable) is not an unknown handle: the production rehearsal found
		// this said "couldn't find the account" while the PDS was down.
		if (causedByNoAnswer(err)) {
			return `Can’t reach the service that finds @${handle} right now. Check your connection, or try again in a moment.`;
		}
		return `We couldn’t find the account @${handle}. Check the handle: it looks like alice.bsky.social.`;
	}
	if (err instanceof ServiceAuthError) {
		return `Your account’s server would not vouch for you to this Microclimate server: ${err.message}.`;
	}
	if (err instanceof ConnectError) {
		switch (err.code) {
			case Code.Unauthenticated:
			case Code.PermissionDenied:
				return `The Microclimate server refused the sign-in: ${err.rawMessage}`;
			case Code.ResourceExhausted:
				return 'Too many sign-in attempts. Wait a minute, then try again.';
			case Code.Unavailable:
			case Code.Unknown:
			case Code.DeadlineExceeded:
				return 'Can’t reach the Microclimate server. Check your connection and try again.';
			default:
				return `The Microclimate server could not sign you in: ${err.rawMessage}`;
		}
	}
	if (err instanceof TypeError) return 'A network problem stopped the sign-in. Check your connection and try again.';
	return 'Sign-in failed for an unexpected reason. Try again.';
}

/**
 * False for failures whose cause is known and is not this device's clock (a cancel, a denial,
 * an unknown handle, blocked storage, a rate limit); for the rest the login flow reads the
 * clock before it explains (device-clock.ts): a PDS refusing a DPoP proof from a clock off by
 * minutes says only "invalid DPoP proof", which would otherwise read as "unexpected".
 */
export function mayBeClockTrouble(err: unknown): boolean {
	const lib = oauthLibrary();
	if (isAbort(err) || err instanceof StorageUnavailableError) return false;
	if (lib && err instanceof lib.OAuthCallbackError && err.params.get('error') === 'access_denied') return false;
	if (lib && err instanceof lib.OAuthResolverError) return false;
	if (err instanceof ConnectError && err.code === Code.ResourceExhausted) return false;
	return true;
}

/** A fetch that got no answer (network error, or a gateway's answer without CORS) rejects with TypeError. */
function causedByNoAnswer(err: Error): boolean {
	let cause: unknown = err.cause;
	for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) {
		if (cause instanceof TypeError) return true;
	}
	return false;
}

export function isAbort(err: unknown): boolean {
	return (
		(err instanceof DOMException && err.name === 'AbortError') ||
		(err instanceof Error && err.message === 'Aborted') ||
		(err instanceof ConnectError && err.code === Code.Canceled)
	);
}
