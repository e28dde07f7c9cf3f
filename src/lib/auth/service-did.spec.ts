import { describe, expect, it } from 'vitest';
import { serviceDidFor } from './service-did.js';

describe('serviceDidFor', () => {
	it('derives did:web from the host, encoding the port', () => {
		expect(serviceDidFor('http://localhost:8080')).toBe('did:web:localhost%3A8080#microclimate');
		expect(serviceDidFor('https://chat.example.com:8443')).toBe('did:web:chat.example.com%3A8443#microclimate');
		expect(serviceDidFor('https://chat.example.com')).toBe('did:web:chat.example.com#microclimate');
	});

	it('names a loopback address localhost, the only host did:web allows a port on', () => {
		expect(serviceDidFor('http://127.0.0.1:8080')).toBe('did:web:localhost%3A8080#microclimate');
		expect(serviceDidFor('http://[::1]:8080')).toBe('did:web:localhost%3A8080#microclimate');
	});

	it('maps a path to colon-separated segments', () => {
		expect(serviceDidFor('https://example.com/voice/eu')).toBe('did:web:example.com:voice:eu#microclimate');
	});
});
