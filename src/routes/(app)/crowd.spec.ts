import { describe, expect, it } from 'vitest';
import { CROWD, keeper, splitCrowd, type Row } from './crowd.js';

const row = (i: number, over: Partial<Row> = {}): Row => ({ did: `did:plc:p${i}`, handle: `p${i}.test`, displayName: '', avatarUrl: '', muted: false, speaking: false, self: false, ...over });

describe('keeper', () => {
	it('keeps the same object for a person whose fields did not change, a new one for who changed', () => {
		const keep = keeper();
		const first = keep([row(1), row(2), row(3)]);
		// A speaking tick: fresh objects for everyone, only p2 changed.
		const next = keep([row(1), row(2, { speaking: true }), row(3)]);
		expect(next[0]).toBe(first[0]);
		expect(next[1]).not.toBe(first[1]);
		expect(next[1]!.speaking).toBe(true);
		expect(next[2]).toBe(first[2]);
	});

	it('forgets whoever left: coming back gives a fresh object', () => {
		const keep = keeper();
		const [a] = keep([row(1)]);
		keep([]);
		const [again] = keep([row(1)]);
		expect(again).not.toBe(a);
		expect(again).toEqual(a);
	});
});

describe('splitCrowd', () => {
	it(`lists everyone in order up to ${CROWD} people`, () => {
		const people = Array.from({ length: CROWD }, (_, i) => row(i, { muted: i % 2 === 0 }));
		expect(splitCrowd(people)).toEqual({ speakers: people, listeners: [] });
	});

	it('past that: you, the unmuted and whoever speaks first, the muted apart, each in list order', () => {
		const people = [row(0, { muted: true }), row(1), row(2, { muted: true, self: true }), ...Array.from({ length: 8 }, (_, i) => row(3 + i, { muted: true })), row(11)];
		const { speakers, listeners } = splitCrowd(people);
		expect(speakers.map((p) => p.did)).toEqual(['did:plc:p1', 'did:plc:p2', 'did:plc:p11']);
		expect(listeners).toHaveLength(9);
		expect(listeners[0]!.did).toBe('did:plc:p0');
	});
});
