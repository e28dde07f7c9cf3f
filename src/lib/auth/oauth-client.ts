// The ATProto OAuth client of this app, loaded on demand (it is ~60 KB gzip, kept out of
// the first screen's bundle) and shared by the connect screen, the callback page and
// silent renewal. Tokens and DPoP keys stay in the library's own IndexedDB.
import {
	PUBLIC_APP_URL,
	PUBLIC_HANDLE_RESOLVER_URL,
	PUBLIC_PLC_URL
} from '$env/static/public';
import type { BrowserOAuthClient } from '@atproto/oauth-client-browser';
import { CALLBACK_PATH, OAUTH_SCOPE } from './oauth-scope.js';

export { CALLBACK_PATH, OAUTH_SCOPE };

export interface OAuthClientConfig {
	clientId: string;
	handleResolver: string;
	plcDirectoryUrl: string;
	allowHttp: boolean;
}

/**
 * A deployment (PUBLIC_APP_URL set) is a discoverable client whose metadata document the
 * build writes to /client-metadata.json. Without it the app is a loopback client, for the
 * local stack only: its redirect URI must use 127.0.0.1, never "localhost".
 */
export function oauthClientConfig(origin: string): OAuthClientConfig {
	const appUrl = PUBLIC_APP_URL.replace(/\/+$/, '');
	if (appUrl) {
		return {
			clientId: `${appUrl}/client-metadata.json`,
			handleResolver: PUBLIC_HANDLE_RESOLVER_URL,
			plcDirectoryUrl: PUBLIC_PLC_URL,
			allowHttp: false
		};
	}
	const loopbackOrigin = origin.replace('//localhost', '//127.0.0.1');
	const params = new URLSearchParams({ redirect_uri: `${loopbackOrigin}${CALLBACK_PATH}`, scope: OAUTH_SCOPE });
	return {
		clientId: `http://localhost?${params}`,
		handleResolver: PUBLIC_HANDLE_RESOLVER_URL,
		plcDirectoryUrl: PUBLIC_PLC_URL,
		// Only the local stack's PDS and PLC are plain HTTP.
		allowHttp: true
	};
}

type OAuthLibrary = typeof import('@atproto/oauth-client-browser');

let loading: Promise<BrowserOAuthClient> | undefined;
let loaded: BrowserOAuthClient | undefined;
let library: OAuthLibrary | undefined;

/**
 * Starts loading the client; the connect screen calls this as soon as it shows, the
 * callback page as it renders. It stays a lazy chunk: not in the first screen's bundle and
 * not precached by the service worker.
 */
export function loadOAuthClient(): Promise<BrowserOAuthClient> {
	loading ??= (async () => {
		library = await import('@atproto/oauth-client-browser');
		const { BrowserOAuthClient } = library;
		const { clientId, ...options } = oauthClientConfig(location.origin);
		const client = await BrowserOAuthClient.load({ clientId, ...options, responseMode: 'fragment' });
		loaded = client;
		return client;
	})();
	loading.catch(() => (loading = undefined));
	return loading;
}

/**
 * The client if it is already loaded. The popup must open inside the click's user
 * gesture, so the click handler needs the client without awaiting anything.
 */
export function loadedOAuthClient(): BrowserOAuthClient | undefined {
	return loaded;
}

/** The loaded library module, for telling its error classes apart without bundling it. */
export function oauthLibrary(): OAuthLibrary | undefined {
	return library;
}
