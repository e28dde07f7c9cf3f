// Turns what a person typed into the "Server" field into the base URL of a Microclimate
// server (its Envoy gRPC-Web endpoint), or says in words what is wrong with it.
// The result is also what the service DID (`aud`) is derived from, so it must be exact:
// no credentials, query, fragment or path can ride along.

export type ServerUrlResult = { ok: true; url: string } | { ok: false; message: string };

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackHost(hostname: string): boolean {
	return LOOPBACK.test(hostname);
}

export function normaliseServerUrl(input: string): ServerUrlResult {
	const text = input.trim();
	if (text === '') return { ok: false, message: 'Enter the address of a Microclimate server.' };
	if (/\s/.test(text)) return { ok: false, message: 'A server address cannot contain spaces.' };

	const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
	let candidate = text;
	if (!hasScheme) {
		// People type "chat.example.com" or "localhost:8080". Loopback is plain HTTP in the
		// local stack; everything else must be HTTPS.
		const host = text.split(/[/:]/, 1)[0] ?? '';
		candidate = `${isLoopbackHost(host) || text.startsWith('[::1]') ? 'http' : 'https'}://${text}`;
	}

	let url: URL;
	try {
		url = new URL(candidate);
	} catch {
		return { ok: false, message: `"${text}" is not a web address. Try something like chat.example.com.` };
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		return { ok: false, message: 'A server address starts with https:// (or http:// on this computer).' };
	}
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
		return { ok: false, message: 'Only https:// servers are allowed, except on this computer (localhost).' };
	}
	if (url.username || url.password) {
		return { ok: false, message: 'A server address cannot contain a user name or password.' };
	}
	if (url.search || url.hash) {
		return { ok: false, message: 'A server address cannot contain "?" or "#" parts.' };
	}
	if (!isValidHostname(url.hostname)) {
		return { ok: false, message: `"${url.hostname}" is not a valid host name.` };
	}
	// The server's identity is did:web:<host>, and did:web allows a port only for localhost
	// (DESIGN.md "Security rules"): with a port on any other name the app would ask the PDS
	// for a token whose aud no PDS or server accepts. (URL has already dropped a default port.)
	if (url.port && !isLoopbackHost(url.hostname)) {
		return {
			ok: false,
			message: `Enter the server’s name without a port: ${url.hostname} instead of ${url.host}. A server is known by its name alone; a port is allowed only on this computer (localhost).`
		};
	}
	// A Microclimate server is a whole host: the server accepts service tokens only for
	// did:web:<host[:port]>, so a path here would make the app ask the PDS for a token
	// whose aud (did:web:host:path) the server refuses. Say so now, not at sign-in.
	if (url.pathname.replace(/\/+$/, '') !== '') {
		return {
			ok: false,
			message: `Enter only the server’s host, without a path: ${url.host} instead of ${url.host}${url.pathname.replace(/\/+$/, '')}.`
		};
	}
	return { ok: true, url: `${url.protocol}//${url.host}` };
}

function isValidHostname(hostname: string): boolean {
	if (isLoopbackHost(hostname)) return true;
	if (/^\[[0-9a-f:.]+\]$/i.test(hostname)) return true;
	if (/^(\d{1,3}\.){3}\d{1,3}$/.test(hostname)) return true;
	// A dotted name of letters, digits and hyphens (URL has already applied punycode).
	const labels = hostname.split('.');
	const wellFormed = labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
	// A top-level domain is never all digits.
	return wellFormed && !/^\d+$/.test(labels.at(-1) ?? '');
}
