// Finishes a sign-in that went through a full-page redirect instead of a popup. The
// pending-login record written before leaving says which server and attempt it was for;
// a callback that matches no pending attempt (cancelled, or replayed) writes nothing.
import type { BrowserOAuthClient } from '@atproto/oauth-client-browser';
import { createServerTransport } from '$lib/api/transport.js';
import { completeLogin, clearPendingLogin, getPendingLogin } from './app-session.js';
import { describeLoginError } from './login-errors.js';
import { oauthLibrary } from './oauth-client.js';
import { REDIRECT_STATE_PREFIX } from './login-flow.svelte.js';
import { createServerSession } from './server-session.js';

/** `channel`: the shared channel the sign-in started from (kept with the pending login). */
export type RedirectOutcome = { ok: true; channel?: string } | { ok: false; message: string };

/** True for the library's signal that this window was a popup and the opener takes over. */
export function continuedInOpener(err: unknown): boolean {
	const lib = oauthLibrary();
	return lib !== undefined && err instanceof lib.LoginContinuedInParentWindowError;
}

export async function finishRedirectSignIn(client: BrowserOAuthClient): Promise<RedirectOutcome> {
	const pending = await getPendingLogin();
	let result;
	try {
		// Throws LoginContinuedInParentWindowError in a popup: the opener finishes there.
		result = await client.init();
	} catch (err) {
		if (continuedInOpener(err)) throw err;
		// Only a redirect attempt is this page's to clear; a popup's belongs to its opener.
		if (pending?.mode === 'redirect') await clearPendingLogin(pending.id);
		return { ok: false, message: describeLoginError(err, pending?.handle ?? '') };
	}
	const state = result && 'state' in result ? result.state : undefined;
	if (!result || !state?.startsWith(REDIRECT_STATE_PREFIX)) {
		return { ok: false, message: 'There is no sign-in to finish here. Start again from the sign-in page.' };
	}
	const id = state.slice(REDIRECT_STATE_PREFIX.length);
	if (!pending || pending.id !== id) {
		return { ok: false, message: 'That sign-in was cancelled. Start again from the sign-in page.' };
	}
	try {
		const session = await createServerSession(result.session, pending.serverUrl, createServerTransport(pending.serverUrl));
		if (!(await completeLogin(session, id))) return { ok: false, message: 'That sign-in was cancelled.' };
		return pending.channel ? { ok: true, channel: pending.channel } : { ok: true };
	} catch (err) {
		await clearPendingLogin(id);
		return { ok: false, message: describeLoginError(err, pending.handle) };
	}
}
