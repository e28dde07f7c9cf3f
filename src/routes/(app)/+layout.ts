import { redirect } from '@sveltejs/kit';
import { carriedLink } from '$lib/api/link-params.js';
import { session } from '$lib/auth/session.svelte.js';
import { configureSession } from '$lib/auth/restore-oauth.js';
import { storageGate } from '$lib/auth/storage-gate.js';
import { readLastKnown, usableLastKnown } from '$lib/channels/last-known.js';

// The gate of every signed-in screen: no complete app session, no entry. The session is
// local (IndexedDB), so a reload keeps you signed in, offline too. Storage the browser
// blocks shows the app's "blocking storage" page instead (storageGate).
// The last known channel list is read beside it (same database, at the same time), so the
// list screen paints it at once; it is kept only if it is this account's and fresh.
export async function load({ url }) {
	configureSession();
	const stored = readLastKnown().catch(() => undefined);
	const current = await storageGate(() => session.load());
	// A shared link opened while signed out goes along to /connect, which pre-fills it.
	if (!current) redirect(307, `/connect${carriedLink(url)}`);
	return { session: current, lastKnown: usableLastKnown(await stored, current, Date.now()) };
}
