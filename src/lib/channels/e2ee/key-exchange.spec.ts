import { describe, expect, it } from 'vitest';
import { makeDeviceKey, type DeviceKey } from './device-key.js';
import { KeyExchange, type KeyedPeer } from './key-exchange.js';
import { callCode } from './call-code.js';

interface Person {
	did: string;
	key: DeviceKey;
	x: KeyExchange;
	/** Keys installed into this person's key provider: `${did}#${index}` -> key bytes. */
	keys: Map<string, string>;
	/** When each of this person's own keys was put to use. */
	ownSwitches: number[];
}

/** Keys installed are HKDF material (not extractable): compared through the bits they derive. */
async function fingerprint(material: CryptoKey): Promise<string> {
	const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new Uint8Array() }, material, 128);
	return Buffer.from(bits).toString('hex');
}

/**
 * A call of fake people wired through an in-memory data channel (the untrusted SFU).
 * `lost` decides which envelopes the channel loses (all delivered by default).
 */
function call(room = 'lobby', sid = 'RM_1', askAfterMs?: number) {
	const people = new Map<string, Person>();
	const sent: { from: string; to: string; payload: Uint8Array }[] = [];
	const channel = { lost: (_from: string, _to: string) => false };
	const pending: Promise<unknown>[] = [];
	async function add(did: string, known?: DeviceKey): Promise<Person> {
		const key = known ?? (await makeDeviceKey());
		const p: Person = {
			did,
			key,
			keys: new Map(),
			ownSwitches: [],
			x: new KeyExchange({
				me: { did, key },
				room,
				call: sid,
				switchAfterMs: 50,
				askAfterMs,
				links: {
					send: async (to, payload) => {
						sent.push({ from: did, to, payload });
						if (channel.lost(did, to)) return;
						const target = people.get(to);
						if (target) pending.push(target.x.receive(did, payload));
					},
					useKey: (owner, material, index) => {
						if (owner === did) p.ownSwitches.push(index);
						pending.push(fingerprint(material).then((f) => p.keys.set(`${owner}#${index}`, f)));
					},
					changed: () => {}
				}
			})
		};
		people.set(did, p);
		return p;
	}
	const list = (): KeyedPeer[] => [...people.values()].map((p) => ({ did: p.did, publicKey: p.key.publicKey }));
	async function settle() {
		await Promise.all([...people.values()].map((p) => p.x.setPeople(list())));
		await drain();
	}
	/** Every envelope delivered and every key installed, senders' delayed switches included. */
	async function drain() {
		while (pending.length) await pending.shift();
		await new Promise((r) => setTimeout(r, 70));
		while (pending.length) await pending.shift();
	}
	return { people, sent, channel, add, list, settle, drain };
}

describe('the key exchange of an encrypted call', () => {
	it('gives each person the other’s media key under the same index, and the same call code on both sides', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		expect(alice.x.waitingFor).toEqual([]);
		expect(bob.x.waitingFor).toEqual([]);
		const bobsKey = `did:plc:bob#${bob.x.keyIndex}`;
		expect(alice.keys.get(bobsKey)).toBeDefined();
		expect(alice.keys.get(bobsKey)).toBe(bob.keys.get(bobsKey));
		expect(bob.keys.get(`did:plc:alice#${alice.x.keyIndex}`)).toBe(alice.keys.get(`did:plc:alice#${alice.x.keyIndex}`));
		expect(alice.x.code).toMatch(/^\d{5}( \d{5}){5}$/);
		expect(alice.x.code).toBe(bob.x.code);
	});

	it('rotates on every join and every leave; someone who left gets nothing of the key made at the leave', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		const codeOfTwo = alice.x.code;
		const carol = await c.add('did:plc:carol');
		await c.settle();
		expect(alice.x.code).not.toBe(codeOfTwo);
		expect(new Set([alice.x.code, bob.x.code, carol.x.code]).size).toBe(1);
		const beforeLeave = alice.x.keyIndex;
		expect(carol.keys.get(`did:plc:alice#${beforeLeave}`)).toBe(alice.keys.get(`did:plc:alice#${beforeLeave}`));

		// Carol leaves: alice and bob rotate, and nothing sealed after it is addressed to her.
		c.people.delete('did:plc:carol');
		const sentBefore = c.sent.length;
		await c.settle();
		expect(alice.x.code).toBe(codeOfTwo);
		expect(bob.x.code).toBe(codeOfTwo);
		expect(alice.x.keyIndex).not.toBe(beforeLeave);
		expect(c.sent.slice(sentBefore).filter((s) => s.to === 'did:plc:carol')).toEqual([]);
		const afterLeave = `did:plc:alice#${alice.x.keyIndex}`;
		expect(bob.keys.get(afterLeave)).toBe(alice.keys.get(afterLeave));
		// The envelope to bob does not open for carol even if the SFU hands it to her.
		const toBob = c.sent.slice(sentBefore).find((s) => s.from === 'did:plc:alice' && s.to === 'did:plc:bob')!;
		await carol.x.setPeople(c.list().concat({ did: 'did:plc:carol', publicKey: carol.key.publicKey }));
		await carol.x.receive('did:plc:alice', toBob.payload);
		await c.drain();
		expect(carol.keys.get(afterLeave)).toBeUndefined();
	});

	it('back after a lost connection, a rekey gives the others her key again (they saw her leave and dropped it)', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		expect(bob.x.waitingFor).toEqual([]);
		// Alice was offline long enough for LiveKit to drop her: bob saw her leave and come back
		// (same key, same token); from her side nobody changed.
		await bob.x.setPeople([{ did: bob.did, publicKey: bob.key.publicKey }]);
		await bob.x.setPeople(c.list());
		await c.drain();
		expect(bob.x.waitingFor).toEqual(['did:plc:alice']);
		await alice.x.rekey();
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]);
		const now = `did:plc:alice#${alice.x.keyIndex}`;
		expect(bob.keys.get(now)).toBe(alice.keys.get(now));
	});

	it('a rejoin’s envelope that arrives while its sender’s last key is still listed opens once the new key is', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		// Alice rejoins with a new device key; bob still lists her old one when her envelope lands.
		const alice2 = await c.add('did:plc:alice');
		await alice2.x.setPeople(c.list());
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]); // still keyed under her old join
		await bob.x.setPeople(c.list()); // now her new key
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]);
		const first = `did:plc:alice#${alice2.x.keyIndex}`;
		expect(bob.keys.get(first)).toBe(alice2.keys.get(first));
		expect(alice.did).toBe(alice2.did);
	});

	it('a key sent before its person could receive it reaches them once their first key arrives', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		// Alice lists bob before he is back in the room: LiveKit drops her envelope to him.
		const bobKey = await makeDeviceKey();
		await alice.x.setPeople([...c.list(), { did: 'did:plc:bob', publicKey: bobKey.publicKey }]);
		await c.drain();
		expect(c.sent.filter((s) => s.to === 'did:plc:bob')).toHaveLength(1);
		const bob = await c.add('did:plc:bob', bobKey);
		await bob.x.setPeople(c.list());
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]);
		expect(alice.x.waitingFor).toEqual([]);
		const now = `did:plc:alice#${alice.x.keyIndex}`;
		expect(bob.keys.get(now)).toBe(alice.keys.get(now));
		// Her lost one, bob's first, then each once more on the other's first key: no loop.
		await c.drain();
		expect(c.sent.length).toBe(4);
	});

	it('after a reconnect whose answers were lost, the one still waiting asks again until the key arrives', async () => {
		const c = call('lobby', 'RM_1', 40);
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		// LiveKit's full reconnect: each saw the other leave and come back. Alice's key reaches
		// bob, but bob's answer is sent while livekit-client still parks what he sends for a
		// replay that never comes.
		c.channel.lost = (from) => from === 'did:plc:bob';
		const me = (p: Person) => [{ did: p.did, publicKey: p.key.publicKey }];
		await Promise.all([alice.x.setPeople(me(alice)), bob.x.setPeople(me(bob))]);
		await Promise.all([bob.x.setPeople(c.list()), alice.x.setPeople(c.list())]);
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]);
		expect(alice.x.waitingFor).toEqual(['did:plc:bob']);
		// His link works again: her next ask gets his key, with no click and no rejoin.
		c.channel.lost = () => false;
		await expect.poll(() => alice.x.waitingFor, { timeout: 2000, interval: 20 }).toEqual([]);
		await c.drain();
		const now = `did:plc:bob#${bob.x.keyIndex}`;
		expect(alice.keys.get(now)).toBe(bob.keys.get(now));
		// Nobody waits any more: no more asks.
		const settled = c.sent.length;
		await new Promise((r) => setTimeout(r, 200));
		expect(c.sent.length).toBe(settled);
		alice.x.close();
		bob.x.close();
	});

	it('a key change lost while her older key is still held: her frames under the new index list her as waiting, and the ask brings the key', async () => {
		const c = call('lobby', 'RM_1', 40);
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		// Alice rotates (a third person came and went, say); her envelope to bob is lost, and she
		// switches to the new key: bob still holds her older one, so her frames fail for him.
		c.channel.lost = (from, to) => from === 'did:plc:alice' && to === 'did:plc:bob';
		await alice.x.rekey();
		await c.drain();
		const now = `did:plc:alice#${alice.x.keyIndex}`;
		expect(bob.keys.get(now)).toBeUndefined();
		expect(bob.x.waitingFor).toEqual([]);
		// livekit-client reports MissingKey on her frames: a key of hers just arrived would be a
		// change in flight, so only once the grace has passed is she listed and asked.
		await new Promise((r) => setTimeout(r, 200));
		c.channel.lost = () => false;
		await bob.x.missingKey('did:plc:alice');
		expect(bob.x.waitingFor).toEqual(['did:plc:alice']);
		await c.drain();
		expect(bob.keys.get(now)).toBe(alice.keys.get(now));
		expect(bob.x.waitingFor).toEqual([]);
		alice.x.close();
		bob.x.close();
	});

	it('a MissingKey right after a key of hers arrived is a change in flight: nobody is asked', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		const before = c.sent.length;
		await bob.x.missingKey('did:plc:alice');
		await c.drain();
		expect(bob.x.waitingFor).toEqual([]);
		expect(c.sent.length).toBe(before);
		expect(alice.x.waitingFor).toEqual([]);
	});

	it('back from her reconnect, her new key asks the others for theirs: a change of bob’s lost meanwhile reaches her', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		// Alice's connection is down while bob rotates: his envelope to her is lost.
		c.channel.lost = (_from, to) => to === 'did:plc:alice';
		await bob.x.rekey();
		await c.drain();
		const his = `did:plc:bob#${bob.x.keyIndex}`;
		expect(alice.keys.get(his)).toBeUndefined();
		// Back (livekit-client's Reconnected): her rekey asks, and bob answers with his newest.
		c.channel.lost = () => false;
		await alice.x.rekey();
		await c.drain();
		expect(alice.keys.get(his)).toBe(bob.keys.get(his));
	});

	it('a sender switches to a new key only a moment after sending it (the first key at once)', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		await c.settle();
		expect(alice.ownSwitches).toEqual([0]); // alone: used at once
		await c.add('did:plc:bob');
		await alice.x.setPeople(c.list());
		expect(alice.ownSwitches).toEqual([0]); // sent to bob, not yet used
		await c.drain();
		expect(alice.ownSwitches).toEqual([0, 1]);
	});

	it('keeps an envelope that arrives before its sender’s join, and opens it once they are known', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		// Bob knows alice; alice has not yet heard of bob when his envelope arrives.
		await alice.x.setPeople([{ did: 'did:plc:alice', publicKey: alice.key.publicKey }]);
		await bob.x.setPeople(c.list());
		await c.drain();
		expect(alice.keys.get(`did:plc:bob#${bob.x.keyIndex}`)).toBeUndefined();
		await alice.x.setPeople(c.list());
		await c.drain();
		expect(alice.keys.get(`did:plc:bob#${bob.x.keyIndex}`)).toBe(bob.keys.get(`did:plc:bob#${bob.x.keyIndex}`));
	});

	it('a key the server swapped (a split view) opens nothing and shows as a different call code', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		const mallory = await makeDeviceKey();
		// The server shows alice a key of its own for bob; bob sees the truth.
		await alice.x.setPeople([{ did: 'did:plc:alice', publicKey: alice.key.publicKey }, { did: 'did:plc:bob', publicKey: mallory.publicKey }]);
		await bob.x.setPeople(c.list());
		await c.drain();
		expect(alice.x.waitingFor).toEqual(['did:plc:bob']); // bob's envelope does not open for that key
		expect(bob.x.waitingFor).toEqual(['did:plc:alice']);
		expect(alice.x.code).not.toBe(bob.x.code);
	});

	it('an envelope replayed under another index, to another person or from another sender does not open', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		const bob = await c.add('did:plc:bob');
		await c.settle();
		const envelope = c.sent.find((s) => s.from === 'did:plc:alice' && s.to === 'did:plc:bob')!;
		const parsed = JSON.parse(new TextDecoder().decode(envelope.payload)) as { i: number };
		const moved = new TextEncoder().encode(JSON.stringify({ ...parsed, i: (parsed.i + 5) % 16 }));
		await bob.x.receive('did:plc:alice', moved);
		await alice.x.receive('did:plc:bob', envelope.payload); // addressed to bob
		await c.drain();
		expect(bob.keys.has(`did:plc:alice#${(parsed.i + 5) % 16}`)).toBe(false);
		expect([...alice.keys.keys()].filter((k) => k.startsWith('did:plc:bob'))).toEqual([`did:plc:bob#${bob.x.keyIndex}`]);
	});

	it('a person whose token carries no key is listed as waiting and never sent one', async () => {
		const c = call();
		const alice = await c.add('did:plc:alice');
		await alice.x.setPeople([{ did: 'did:plc:alice', publicKey: alice.key.publicKey }, { did: 'did:plc:eve', publicKey: undefined }]);
		expect(alice.x.waitingFor).toEqual(['did:plc:eve']);
		expect(c.sent).toEqual([]);
	});
});

describe('the call code', () => {
	it('depends on the set of (DID, key), not its order; any other key or person changes it', async () => {
		const [a, b, x] = await Promise.all([makeDeviceKey(), makeDeviceKey(), makeDeviceKey()]);
		const ab = await callCode([{ did: 'did:plc:a', publicKey: a.publicKey }, { did: 'did:plc:b', publicKey: b.publicKey }]);
		expect(await callCode([{ did: 'did:plc:b', publicKey: b.publicKey }, { did: 'did:plc:a', publicKey: a.publicKey }])).toBe(ab);
		expect(await callCode([{ did: 'did:plc:a', publicKey: a.publicKey }, { did: 'did:plc:b', publicKey: x.publicKey }])).not.toBe(ab);
		expect(await callCode([{ did: 'did:plc:a', publicKey: a.publicKey }])).not.toBe(ab);
		expect(ab).toMatch(/^\d{5} \d{5} \d{5} \d{5} \d{5} \d{5}$/);
	});
});
