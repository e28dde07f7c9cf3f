import { describe, expect, it } from 'vitest';
import { linkQuery, parseShareLink, shareLinkFor } from './share-link.js';

const at = (query: string) => parseShareLink(new URL(`https://voice.example/${query}`));

describe('share links', () => {
	it('reads a server link and a channel link', () => {
		expect(at('?server=api.example.com')).toEqual({ kind: 'ok', server: 'https://api.example.com', channel: undefined });
		expect(at('?server=localhost:8080&channel=lobby')).toEqual({ kind: 'ok', server: 'http://localhost:8080', channel: 'lobby' });
		expect(at('?channel=quiet-room')).toEqual({ kind: 'ok', server: undefined, channel: 'quiet-room' });
		expect(at('')).toEqual({ kind: 'none' });
		expect(at('?reason=session-ended')).toEqual({ kind: 'none' });
	});

	it('refuses other schemes, paths, plain http and malformed channels, with a message', () => {
		for (const bad of [
			'?server=javascript:alert(1)',
			'?server=javascript%3A%2F%2Fx',
			'?server=data:text/html,hi',
			'?server=http://evil.example',
			'?server=api.example.com/path',
			'?server=user:pw@api.example.com',
			'?server=',
			'?server=a.example&server=b.example',
			'?server=api.example.com&channel=Lobby!',
			'?channel=%3Cscript%3E',
			'?channel='
		]) {
			const link = at(bad);
			expect(link.kind, bad).toBe('bad');
			expect(link.kind === 'bad' && link.message, bad).toMatch(/not|more than one/);
		}
	});

	it('builds the link it reads back', () => {
		const link = shareLinkFor('https://voice.example', 'https://api.example.com', 'lobby');
		expect(link).toBe('https://voice.example/?server=api.example.com&channel=lobby');
		expect(parseShareLink(new URL(link))).toEqual({ kind: 'ok', server: 'https://api.example.com', channel: 'lobby' });
		expect(linkQuery({ server: 'http://localhost:8080', channel: 'music' })).toBe('?server=localhost%3A8080&channel=music');
		expect(linkQuery({})).toBe('');
	});
});
