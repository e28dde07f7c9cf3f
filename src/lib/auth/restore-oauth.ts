// Wires the session store to the OAuth library (loaded lazily, oauth-client.ts) for the
// signed-in screens. Apart from sign-in.ts so those screens do not load the login flow
// (LoginFlow and its state) that only /connect and settings use.
import { loadOAuthClient } from './oauth-client.js';
import { session } from './session.svelte.js';

export function configureSession(): void {
	session.configure({
		restoreOAuth: async (did) => (await loadOAuthClient()).restore(did),
		revokeOAuth: async (did) => (await loadOAuthClient()).revoke(did)
	});
}
