// A channel with more than CROWD people lists its speakers and summarises its listeners
// ("and 88 listening"); issue 27, item 2.
export const CROWD = 8;

export type Row = { did: string; handle: string; displayName: string; avatarUrl: string; muted: boolean; speaking: boolean; self: boolean };

const same = (a: Row, b: Row) =>
	a.handle === b.handle && a.displayName === b.displayName && a.avatarUrl === b.avatarUrl && a.muted === b.muted && a.speaking === b.speaking && a.self === b.self;

/**
 * One object per person, kept while nothing about them changes: LiveKit hands over a fresh
 * list on every speaking tick, and a keyed each-block does not update a row whose item is the
 * same object. The returned function maps a list to those kept objects and forgets whoever
 * is gone. Not reactive state: a $derived may call it.
 */
export function keeper(): (list: Row[]) => Row[] {
	const kept = new Map<string, Row>();
	return (list) => {
		const seen = new Set<string>();
		const out = list.map((p) => {
			seen.add(p.did);
			const old = kept.get(p.did);
			if (old && same(old, p)) return old;
			kept.set(p.did, p);
			return p;
		});
		for (const did of kept.keys()) if (!seen.has(did)) kept.delete(did);
		return out;
	};
}

/** Speakers (you, the unmuted, whoever speaks) and listeners (the rest), each in list order. */
export function splitCrowd(people: Row[]): { speakers: Row[]; listeners: Row[] } {
	if (people.length <= CROWD) return { speakers: people, listeners: [] };
	const speaks = (p: Row) => p.self || !p.muted || p.speaking;
	return { speakers: people.filter(speaks), listeners: people.filter((p) => !speaks(p)) };
}
