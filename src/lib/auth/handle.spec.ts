import { describe, expect, it } from 'vitest';
import { normaliseHandle } from './handle.js';

describe('normaliseHandle', () => {
	it('accepts the shapes people type', () => {
		for (const typed of ['alice.test', '@alice.test', '  Alice.Test  ', '@ALICE.bsky.social']) {
			const r = normaliseHandle(typed);
			expect(r.ok, typed).toBe(true);
		}
		expect(normaliseHandle(' @Alice.Test ')).toEqual({ ok: true, value: 'alice.test' });
	});

	it('accepts DIDs as they are', () => {
		expect(normaliseHandle('did:plc:abcdefghijklmnopqrstuvwx')).toEqual({ ok: true, value: 'did:plc:abcdefghijklmnopqrstuvwx' });
		expect(normaliseHandle('did:web:example.com')).toEqual({ ok: true, value: 'did:web:example.com' });
	});

	it('rejects the rest with a hint of what a handle looks like', () => {
		for (const typed of ['', 'alice', 'alice..test', 'ali ce.test', 'alice.test/', 'http://alice.test', 'alice.1test', 'did:plc:short', '@']) {
			const r = normaliseHandle(typed);
			expect(r.ok, typed).toBe(false);
			expect(!r.ok && r.message, typed).toMatch(/alice\.bsky\.social/);
		}
	});
});
