import { describe, expect, it } from 'vitest';
import { avatarSrc, displayName, initialOf } from './faces.js';

describe('faces', () => {
	it('shows an avatar only from the allowed image service', () => {
		const cdn = 'https://cdn.bsky.app';
		expect(avatarSrc('https://cdn.bsky.app/img/avatar/plain/did:plc:a/bafk@jpeg', cdn)).toBe('https://cdn.bsky.app/img/avatar/plain/did:plc:a/bafk@jpeg');
		expect(avatarSrc('https://tracker.example/pixel.png', cdn)).toBeUndefined();
		expect(avatarSrc('javascript:alert(1)', cdn)).toBeUndefined();
		expect(avatarSrc('https://cdn.bsky.app.evil.example/x.png', cdn)).toBeUndefined();
		expect(avatarSrc('', cdn)).toBeUndefined();
		expect(avatarSrc('https://cdn.bsky.app/x.png', '')).toBeUndefined();
	});

	it('cleans a display name a server did not clean', () => {
		expect(displayName('\u202Egnp.exe\u202C Mallory\n')).toBe('gnp.exe Mallory');
		expect(displayName(undefined)).toBe('');
	});

	it('falls back to the first letter of the name, then of the handle', () => {
		expect(initialOf('zoë', 'x.test')).toBe('Z');
		expect(initialOf('', 'alice.test')).toBe('A');
		expect(initialOf('👩‍🚀 Ada', 'a.test')).toBe('👩');
	});
});
