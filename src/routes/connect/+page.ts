import { redirect } from '@sveltejs/kit';
import { getPendingLogin, getSession, clearPendingLogin, type PendingLogin } from '$lib/auth/app-session.js';
import { isAbandoned } from '$lib/auth/login-claim.js';
import { carriedLink } from '$lib/api/link-params.js';
import { parseShareLink, type ShareLink } from '$lib/api/share-link.js';
import { storageGate } from '$lib/auth/storage-gate.js';

type ConnectData = { interrupted?: PendingLogin; elsewhere?: PendingLogin; ended: boolean; link: ShareLink };

export async function load({ url }): Promise<ConnectData> {
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
