import { redirect } from '@sveltejs/kit';
import { getPendingLogin, getSession, clearPendingLogin, type PendingLogin } from '$lib/auth/app-session.js';

export async function load({ url }): Promise<{ interrupted?: PendingLogin; ended: boolean }> {
	if (await getSession()) redirect(307, '/');
	// A sign-in that was under way when the page was reloaded or crashed: report it once,
	// keep what was typed, and start clean.
	const interrupted = await getPendingLogin();
	if (interrupted) await clearPendingLogin(interrupted.id);
	return { interrupted, ended: url.searchParams.get('reason') === 'session-ended' };
}
