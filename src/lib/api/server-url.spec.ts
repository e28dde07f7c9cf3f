import { describe, expect, it } from 'vitest';
import { normaliseServerUrl } from './server-url.js';

function ok(input: string): string {
	const r = normaliseServerUrl(input);
	if (!r.ok) throw new Error(`expected ${input} to be accepted, got: ${r.message}`);
	return r.url;
}

function rejected(input: string): string {
	const r = normaliseServerUrl(input);
	if (r.ok) throw new Error(`expected ${input} to be rejected, got ${r.url}`);
	return r.message;
}

describe('normaliseServerUrl', () => {
	it('adds https to a public host typed without a scheme', () => {
		expect(ok('chat.example.com')).toBe('https://chat.example.com');
	});

	it('adds http to loopback hosts typed without a scheme', () => {
		expect(ok('localhost:8080')).toBe('http://localhost:8080');
		expect(ok('127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
		expect(ok('[::1]:8080')).toBe('http://[::1]:8080');
	});

	it('drops trailing slashes and surrounding spaces', () => {
		expect(ok('  https://chat.example.com/  ')).toBe('https://chat.example.com');
		expect(ok('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
	});

	it('refuses a path, naming the host to enter instead (the server accepts only host[:port])', () => {
		expect(rejected('https://chat.example.com/voice')).toBe(
			"Enter only the server’s host, without a path: chat.example.com instead of chat.example.com/voice."
		);
		expect(rejected('localhost:8080/api/')).toMatch(/localhost:8080 instead of localhost:8080\/api/);
		expect(ok('https://chat.example.com//')).toBe('https://chat.example.com');
	});

	it('refuses a port on a name that is not localhost (did:web allows one only there), naming what to type', () => {
		expect(rejected('https://api.microclimate.lan:8443')).toBe(
			'Enter the server’s name without a port: api.microclimate.lan instead of api.microclimate.lan:8443. A server is known by its name alone; a port is allowed only on this computer (localhost).'
		);
		expect(rejected('chat.example.com:8080')).toMatch(/chat\.example\.com instead of chat\.example\.com:8080/);
		expect(rejected('https://192.0.2.7:8443')).toMatch(/without a port: 192\.0\.2\.7 instead/);
		expect(ok('http://localhost:8080')).toBe('http://localhost:8080');
		expect(ok('127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
		expect(ok('https://localhost:8443')).toBe('https://localhost:8443');
	});

	it('lower-cases the host and drops a default port', () => {
		expect(ok('HTTPS://Chat.Example.COM:443')).toBe('https://chat.example.com');
	});

	it('refuses plain http to anything but this computer', () => {
		expect(rejected('http://chat.example.com')).toMatch(/https/);
	});

	it('refuses other schemes, credentials, queries and fragments', () => {
		expect(rejected('ftp://chat.example.com')).toMatch(/https:\/\//);
		expect(rejected('https://me:pw@chat.example.com')).toMatch(/user name or password/);
		expect(rejected('https://chat.example.com/?x=1')).toMatch(/"\?"/);
		expect(rejected('https://chat.example.com/#top')).toMatch(/"#"/);
	});

	it('explains empty, spaced and malformed input', () => {
		expect(rejected('   ')).toMatch(/Enter the address/);
		expect(rejected('chat example.com')).toMatch(/spaces/);
		expect(rejected('https://')).toMatch(/not a web address/);
		expect(rejected('exa_mple.com')).toMatch(/not a valid host name/);
		expect(rejected('https://example.123')).toMatch(/not a web address/);
		expect(rejected('-bad-.example.com')).toMatch(/not a valid host name/);
	});
});
