import { describe, expect, it } from 'vitest';
import { clientMetadata } from './client-metadata.ts';

describe('OAuth client metadata of a deployment', () => {
	it('names itself by its own URL and asks only for the CreateSession scope', () => {
		const m = clientMetadata('https://voice.example.com/');
		expect(m.client_id).toBe('https://voice.example.com/client-metadata.json');
		expect(m.redirect_uris).toEqual(['https://voice.example.com/oauth/callback']);
		expect(m.scope).toBe('atproto rpc:app.microclimate.server.createSession?aud=*');
		expect(m).toMatchObject({ application_type: 'web', token_endpoint_auth_method: 'none', dpop_bound_access_tokens: true });
	});

	it('keeps a path prefix', () => {
		expect(clientMetadata('https://example.com/app').redirect_uris).toEqual(['https://example.com/app/oauth/callback']);
	});

	it('refuses a non-https app URL', () => {
		expect(() => clientMetadata('http://voice.example.com')).toThrow(/https/);
	});
});
