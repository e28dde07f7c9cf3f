import { redirect } from '@sveltejs/kit';
import { session } from '$lib/auth/session.svelte.js';
import { configureSession } from '$lib/auth/sign-in.js';

// The gate of every signed-in screen: no complete app session, no entry. The session is
// local (IndexedDB), so a reload keeps you signed in, offline too.
export async function load() {
	configureSession();
	const current = await session.load();
	if (!current) redirect(307, '/connect');
	return { session: current };
}
