import { redirect } from '@sveltejs/kit';
import { browser } from '$app/environment';
import { getPendingLogin, getSession, clearPendingLogin, type PendingLogin } from '$lib/auth/app-session.js';
import { isAbandoned } from '$lib/auth/login-claim.js';
import { carriedLink } from '$lib/api/link-params.js';
import { parseShareLink, type ShareLink } from '$lib/api/share-link.js';
import { storageGate } from '$lib/auth/storage-gate.js';

// The first screen most people see: its HTML and CSS are written at build time
// (build/connect.html), so a phone paints the sign-in form before any JavaScript has run.
// The page then hydrates and this load runs again in the browser, where the session gate
// decides (a signed-in person is sent on to the channel list).
export const ssr = true;
export const prerender = true;

type ConnectData = { interrupted?: PendingLogin; elsewhere?: PendingLogin; ended: boolean; link: ShareLink };

export async function load({ url }): Promise<ConnectData> {
	// At build time there is no storage and no query string: the shell is the signed-out form.
	if (!browser) return { ended: false, link: { kind: 'none' } };
	const [session, pending] = await storageGate(() => Promise.all([getSession(), getPendingLogin()]));
	// Signed in already: the channel list deals with a shared link (and asks before switching).
	if (session) redirect(307, `/${carriedLink(url)}`);
	const ended = url.searchParams.get('reason') === 'session-ended';
	const link = parseShareLink(url);
	if (!pending) return { ended, link };
	// A sign-in that is still waiting in another tab's popup is that tab's: leave it be.
	if (!(await isAbandoned(pending))) return { elsewhere: pending, ended, link };
	// One that was under way when its page was reloaded, closed or crashed: report it once,
	// keep what was typed, and start clean.
	await storageGate(() => clearPendingLogin(pending.id));
	return { interrupted: pending, ended, link };
}
