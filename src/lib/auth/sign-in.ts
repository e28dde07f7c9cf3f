// Wires the sign-in state to the real browser: the OAuth library, window.open, the
// gRPC-Web transport. Unit tests build LoginFlow and Session with fakes instead.
import { loadRpc } from '$lib/api/rpc-loader.js';
import { LoginFlow, POPUP_NAME } from './login-flow.svelte.js';
import { loadOAuthClient, loadedOAuthClient } from './oauth-client.js';
import { session } from './session.svelte.js';

const POPUP_FEATURES = 'width=600,height=720,menubar=no,toolbar=no';

/**
 * Home-screen (standalone) apps: on iOS window.open lands in another browser context that
 * can never report back, so standalone display mode always signs in by redirect.
 */
export function mustRedirect(): boolean {
	return (
		(navigator as Navigator & { standalone?: boolean }).standalone === true ||
		matchMedia('(display-mode: standalone)').matches
	);
}

export const loginFlow = new LoginFlow({
	client: () => loadedOAuthClient(),
	loadClient: () => loadOAuthClient(),
	transportFor: async (serverUrl) => (await loadRpc()).createServerTransport(serverUrl),
	openPopup: (name = POPUP_NAME) => window.open('about:blank', name, POPUP_FEATURES),
	mustRedirect,
	onSignedIn: (s) => session.adopt(s),
	revokeOAuth: async (did) => (await loadOAuthClient()).revoke(did),
	checkClock: async (serverUrl) => {
		const rpc = await loadRpc();
		return rpc.checkDeviceClock(rpc.createServerTransport(serverUrl));
	}
});
