import { redirect } from '@sveltejs/kit';
import { getPendingLogin, getSession, clearPendingLogin, type PendingLogin } from '$lib/auth/app-session.js';
import { isAbandoned } from '$lib/auth/login-claim.js';
import { storageGate } from '$lib/auth/storage-gate.js';

export async function load({ url }): Promise<{ interrupted?: PendingLogin; elsewhere?: PendingLogin; ended: boolean }> {
	const [session, pending] = await storageGate(() => Promise.all([getSession(), getPendingLogin()]));
	if (session) redirect(307, '/');
	const ended = url.searchParams.get('reason') === 'session-ended';
	if (!pending) return { ended };
	// A sign-in that is still waiting in another tab's popup is that tab's: leave it be.
	if (!(await isAbandoned(pending))) return { elsewhere: pending, ended };
	// One that was under way when its page was reloaded, closed or crashed: report it once,
	// keep what was typed, and start clean.
	await storageGate(() => clearPendingLogin(pending.id));
	return { interrupted: pending, ended };
}
