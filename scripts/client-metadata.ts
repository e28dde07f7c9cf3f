// The OAuth client metadata document of a deployed app (its client_id is this document's
// URL). Written into the build as /client-metadata.json when PUBLIC_APP_URL is set; the
// local stack uses a loopback client instead and needs none.
import { loadEnv, type Plugin } from 'vite';
import { CALLBACK_PATH, OAUTH_SCOPE } from '../src/lib/auth/oauth-scope.ts';

export interface ClientMetadata {
	client_id: string;
	client_name: string;
	client_uri: string;
	application_type: 'web';
	grant_types: string[];
	response_types: string[];
	redirect_uris: string[];
	scope: string;
	token_endpoint_auth_method: 'none';
	dpop_bound_access_tokens: true;
}

export function clientMetadata(appUrl: string): ClientMetadata {
	const url = new URL(appUrl);
	// A discoverable client must be served over HTTPS, without query or fragment.
	if (url.protocol !== 'https:') throw new Error(`PUBLIC_APP_URL must be an https:// URL (got ${appUrl})`);
	if (url.search || url.hash) throw new Error('PUBLIC_APP_URL must not have a query or fragment');
	const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
	return {
		client_id: `${base}/client-metadata.json`,
		client_name: 'Microclimate',
		client_uri: base,
		application_type: 'web',
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		redirect_uris: [`${base}${CALLBACK_PATH}`],
		scope: OAUTH_SCOPE,
		token_endpoint_auth_method: 'none',
		dpop_bound_access_tokens: true
	};
}

/** Emits client-metadata.json into the client build when PUBLIC_APP_URL is set. */
export function clientMetadataPlugin(): Plugin {
	let appUrl = '';
	return {
		name: 'microclimate-client-metadata',
		apply: 'build',
		configResolved(config) {
			appUrl = loadEnv(config.mode, config.root, 'PUBLIC_').PUBLIC_APP_URL ?? '';
		},
		generateBundle(options) {
			// SvelteKit builds twice (client and server); the document belongs to the client.
			if (!appUrl || !String(options.dir ?? '').includes('client')) return;
			this.emitFile({ type: 'asset', fileName: 'client-metadata.json', source: JSON.stringify(clientMetadata(appUrl), null, 2) });
		}
	};
}
