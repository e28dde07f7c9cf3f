// The service DID reference a service token is minted for (`aud`).
// Security: the client derives it from the server URL the person chose, never from what
// the server says about itself. A server that could pick `aud` could ask the person's PDS
// for a token meant for another server and replay it there.

export { CREATE_SESSION_LXM } from './oauth-scope.js';

/** The fragment that names the Microclimate service in a server's DID document. */
export const SERVICE_FRAGMENT = 'microclimate';

const LOOPBACK_IP = /^(127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * did:web:<host, ':' as %3A>[:path:segments]#microclimate for a normalised server URL.
 * ATProto allows a port in did:web only for "localhost", so a loopback IP address is
 * named "localhost": it is the same machine, and the server answers to that name.
 */
export function serviceDidFor(serverUrl: string): string {
	const url = new URL(serverUrl);
	const hostname = LOOPBACK_IP.test(url.hostname) ? 'localhost' : url.hostname;
	const host = `${hostname}${url.port ? `%3A${url.port}` : ''}`;
	const path = url.pathname
		.split('/')
		.filter(Boolean)
		.map((segment) => encodeURIComponent(segment))
		.join(':');
	return `did:web:${host}${path ? `:${path}` : ''}#${SERVICE_FRAGMENT}`;
}
