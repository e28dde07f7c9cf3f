// One device's side of a call's key exchange, free of LiveKit (livekit-e2ee.ts wires it to a
// Room; the unit tests wire two of them to each other). Written by the room's events (who is
// in the call with which public key, envelopes received); writes keys into the key provider
// and envelopes onto the data channel; read by the call dock (the call code, whose key is missing).
//
// Each sender makes a fresh random media key on every join and every leave and seals it to
// each other participant (envelope.ts). Receivers install it at once under its key index
// (frames carry the index, so old and new keys work side by side); the sender switches to
// it `switchAfterMs` later, once the envelopes have most likely arrived. Someone who left
// never receives the key made at their leave, so they cannot decrypt what follows.
//
// Envelopes can be lost: LiveKit drops data for someone not yet in the room, and during its
// full reconnect livekit-client says "Reconnected" (and lists the others again) up to seconds
// before its engine is done, while its reliable channel still parks what is sent for a resume
// replay that a full reconnect never runs. So whoever is still waiting for someone's key
// asks them again, with our own newest key in the same envelope, until it arrives. A key
// change can be lost while an older key of its sender is still held: their frames then come
// under a key index we lack (livekit-client's MissingKey), and that person is asked again too.
// Back after our own reconnect, our new key goes out as an ask: theirs may have been lost.
import { callCode } from './call-code.js';
import { fromBase64Url, toBase64Url, type DeviceKey } from './device-key.js';
import { open, pairKey, seal } from './envelope.js';

/** The key ring's size in livekit-client (KEY_PROVIDER_DEFAULTS.keyringSize): indices cycle through it. */
export const KEY_RING = 16;
const MEDIA_KEY_BYTES = 32;

export interface KeyedPeer {
	/** LiveKit identity: the DID. */
	readonly did: string;
	/** The public key from their token's attributes; undefined when their token carries none. */
	readonly publicKey: Uint8Array | undefined;
}

export interface KeyExchangeLinks {
	/** Sends one envelope to one participant (reliable data packet). */
	send(to: string, payload: Uint8Array<ArrayBuffer>): Promise<void>;
	/** Installs a participant's media key (HKDF key material) under a key index. */
	useKey(did: string, material: CryptoKey, keyIndex: number): void;
	/** Something the dock shows changed (the code, a key arrived). */
	changed(): void;
}

export interface KeyExchangeOptions {
	readonly me: { readonly did: string; readonly key: DeviceKey };
	readonly room: string;
	/** A name of the call both sides agree on (mixed into every pair key with the room). */
	readonly call: string;
	readonly links: KeyExchangeLinks;
	readonly switchAfterMs?: number;
	/** How long a missing key is waited for before it is asked for again (doubling up to 8x). */
	readonly askAfterMs?: number;
}

interface Envelope {
	v: 1;
	to: string;
	i: number;
	box: string;
	/** Set when the sender still lacks the recipient's key: answer with yours. */
	ask?: true;
}

const ASK_AFTER_MS = 1000;
const ASK_BACKOFF_MAX = 8;

export class KeyExchange {
	readonly #o: KeyExchangeOptions;
	#peers = new Map<string, KeyedPeer>();
	#pairKeys = new Map<string, Promise<CryptoKey>>();
	#keyed = new Set<string>();
	/** When each person's last key arrived (ms, performance.now()). */
	#keyedAt = new Map<string, number>();
	#early = new Map<string, Uint8Array[]>();
	#index = -1;
	/** Our newest media key (index #index), kept to send again to someone whose first key just arrived. */
	#latest: Uint8Array<ArrayBuffer> | undefined;
	#code = '';
	#queue: Promise<unknown> = Promise.resolve();
	#timers = new Set<ReturnType<typeof setTimeout>>();
	#askTimer: ReturnType<typeof setTimeout> | undefined;
	#askDelay = 0;
	#closed = false;

	constructor(options: KeyExchangeOptions) {
		this.#o = options;
	}

	/** The call code, 30 digits in groups of five; empty until the first list of people. */
	get code(): string {
		return this.#code;
	}

	/** Our current media key's index (-1 before the first). */
	get keyIndex(): number {
		return this.#index;
	}

	/** DIDs of the people in the call whose media key has not reached this device. */
	get waitingFor(): string[] {
		return [...this.#peers.keys()].filter((did) => !this.#keyed.has(did));
	}

	/** The people now in the call but us. A change of who is in it (or of a key) rotates our key. */
	setPeople(peers: readonly KeyedPeer[]): Promise<void> {
		return this.#serially(async () => {
			const next = new Map(peers.filter((p) => p.did !== this.#o.me.did).map((p) => [p.did, p]));
			const same = this.#index >= 0 && next.size === this.#peers.size && [...next].every(([did, p]) => sameKey(this.#peers.get(did)?.publicKey, p.publicKey));
			for (const did of this.#peers.keys()) if (!next.has(did) || !sameKey(this.#peers.get(did)?.publicKey, next.get(did)?.publicKey)) {
				this.#keyed.delete(did);
				this.#keyedAt.delete(did);
			}
			this.#peers = next;
			this.#code = await callCode([{ did: this.#o.me.did, publicKey: this.#o.me.key.publicKey }, ...[...next.values()].map((p) => ({ did: p.did, publicKey: p.publicKey ?? new Uint8Array() }))]);
			if (!same) await this.#rotate();
			// A copy: what still does not open goes back into #early for the next change.
			for (const [from, list] of [...this.#early]) {
				if (!next.has(from)) continue;
				this.#early.delete(from);
				for (const payload of list) await this.#receive(from, payload);
			}
			this.#o.links.changed();
			this.#askLater(true);
		});
	}

	/**
	 * A fresh key sent to everyone, with nobody changed: after our own connection came back
	 * (LiveKit's full reconnect), the others may have seen us leave and dropped our key, and
	 * envelopes sent while we were away were lost.
	 */
	rekey(): Promise<void> {
		return this.#serially(async () => {
			if (this.#index < 0 || this.#closed) return;
			await this.#rotate(true);
			this.#o.links.changed();
			this.#askLater(true);
		});
	}

	/** An envelope from `from` (the sender LiveKit attests). Anything that does not open is dropped. */
	receive(from: string, payload: Uint8Array): Promise<void> {
		return this.#serially(() => this.#receive(from, payload));
	}

	/**
	 * Their frames come under a key index we do not hold (livekit-client's MissingKey): a key
	 * change of theirs was lost. Unless a key of theirs arrived just now (frames of a change
	 * still in flight), they are listed as waiting again and asked for their key.
	 */
	missingKey(did: string): Promise<void> {
		return this.#serially(async () => {
			const peer = this.#peers.get(did);
			if (this.#closed || !peer || !this.#keyed.has(did)) return;
			// Frames under an index we lack are taken as in flight for three switch delays after a key of theirs arrived.
			if (performance.now() - (this.#keyedAt.get(did) ?? 0) < 3 * (this.#o.switchAfterMs ?? 1000)) return;
			this.#keyed.delete(did);
			this.#o.links.changed();
			await this.#sendLatest(peer, true);
			this.#askLater();
		});
	}

	close(): void {
		this.#closed = true;
		for (const t of this.#timers) clearTimeout(t);
		this.#timers.clear();
		clearTimeout(this.#askTimer);
		this.#askTimer = undefined;
	}

	async #receive(from: string, payload: Uint8Array): Promise<void> {
		const peer = this.#peers.get(from);
		if (!peer?.publicKey) {
			// Their join (and key) may reach us after their first envelope: kept until it does.
			this.#stash(from, payload);
			return;
		}
		const envelope = parse(payload);
		if (!envelope || envelope.to !== this.#o.me.did) return;
		const box = fromBase64Url(envelope.box);
		if (!box) return;
		const mediaKey = await open(await this.#pairKey(peer.did, peer.publicKey), box, from, this.#o.me.did, envelope.i);
		if (this.#closed) return;
		if (!mediaKey) {
			// Sealed to a key of theirs we do not hold yet: a rejoin's first envelope can arrive
			// while we still list their last join's key (same DID). Kept, like an early one, and
			// tried again when their key changes; anything else never opens and ages out.
			this.#stash(from, payload);
			return;
		}
		this.#o.links.useKey(from, await importMaterial(mediaKey), envelope.i);
		this.#keyedAt.set(from, performance.now());
		const first = !this.#keyed.has(from);
		if (first) {
			this.#keyed.add(from);
			this.#o.links.changed();
		}
		// Their first key: ours may have been sent before they could receive it (LiveKit drops
		// data for someone not yet back in the room), so it goes to them once more; and when
		// they ask, they lack it. Answered once per envelope, never with an ask once we hold
		// their key: no loop.
		if (first || envelope.ask) await this.#sendLatest(peer);
	}

	/** The people whose key has not arrived and who could be asked for it (they have a public key). */
	#missing(): KeyedPeer[] {
		return [...this.#peers.values()].filter((p) => p.publicKey && !this.#keyed.has(p.did));
	}

	/**
	 * Asks everyone whose key is still missing again after a while (an envelope of ours or
	 * of theirs may have been lost), backing off while they stay silent. `fresh`: the people
	 * or our key changed, so the wait starts over from the shortest.
	 */
	#askLater(fresh = false): void {
		if (fresh) {
			clearTimeout(this.#askTimer);
			this.#askTimer = undefined;
			this.#askDelay = 0;
		}
		if (this.#closed || this.#askTimer || this.#index < 0 || this.#missing().length === 0) return;
		const base = this.#o.askAfterMs ?? ASK_AFTER_MS;
		this.#askDelay = Math.min(this.#askDelay ? this.#askDelay * 2 : base, base * ASK_BACKOFF_MAX);
		this.#askTimer = setTimeout(() => {
			this.#askTimer = undefined;
			void this.#serially(async () => {
				if (this.#closed) return;
				for (const p of this.#missing()) await this.#sendLatest(p, true);
				this.#askLater();
			});
		}, this.#askDelay);
	}

	#stash(from: string, payload: Uint8Array): void {
		const list = this.#early.get(from) ?? [];
		this.#early.set(from, [...list, payload].slice(-KEY_RING));
	}

	async #send(p: KeyedPeer, mediaKey: Uint8Array<ArrayBuffer>, index: number, ask = false): Promise<void> {
		if (!p.publicKey) return; // nobody can seal to them: they show as waiting for keys
		const box = await seal(await this.#pairKey(p.did, p.publicKey), mediaKey, this.#o.me.did, p.did, index);
		const envelope: Envelope = { v: 1, to: p.did, i: index, box: toBase64Url(box), ...(ask && { ask: true }) };
		await this.#o.links.send(p.did, new TextEncoder().encode(JSON.stringify(envelope))).catch(() => {});
	}

	async #sendLatest(p: KeyedPeer, ask = false): Promise<void> {
		if (this.#latest && this.#peers.get(p.did) === p) await this.#send(p, this.#latest, this.#index, ask);
	}

	/** A fresh key of ours, sent to everyone (`ask`: and each answers with their newest). */
	async #rotate(ask = false): Promise<void> {
		const first = this.#index < 0;
		const index = (this.#index = (this.#index + 1) % KEY_RING);
		const mediaKey = crypto.getRandomValues(new Uint8Array(MEDIA_KEY_BYTES));
		this.#latest = mediaKey;
		const material = await importMaterial(mediaKey);
		await Promise.all([...this.#peers.values()].map((p) => this.#send(p, mediaKey, index, ask)));
		// Alone in the call, or the first key: nobody could be listening to an older one.
		if (first || this.#peers.size === 0) return this.#o.links.useKey(this.#o.me.did, material, index);
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			if (!this.#closed) this.#o.links.useKey(this.#o.me.did, material, index);
		}, this.#o.switchAfterMs ?? 1000);
		this.#timers.add(timer);
	}

	#pairKey(did: string, publicKey: Uint8Array): Promise<CryptoKey> {
		const id = `${did} ${toBase64Url(publicKey)}`;
		let key = this.#pairKeys.get(id);
		if (!key) {
			const me = this.#o.me;
			key = pairKey(me.key.privateKey, { room: this.#o.room, call: this.#o.call, me: { did: me.did, publicKey: me.key.publicKey }, them: { did, publicKey } });
			this.#pairKeys.set(id, key);
		}
		return key;
	}

	#serially<T>(work: () => Promise<T>): Promise<T> {
		const run = this.#queue.then(work, work);
		this.#queue = run.catch(() => {});
		return run;
	}
}

/** HKDF key material, as livekit-client's worker expects from a key provider. */
export function importMaterial(mediaKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
	return crypto.subtle.importKey('raw', mediaKey, 'HKDF', false, ['deriveBits', 'deriveKey']);
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
	if (!a || !b) return a === b;
	return a.length === b.length && a.every((v, i) => v === b[i]);
}

function parse(payload: Uint8Array): Envelope | undefined {
	try {
		const e = JSON.parse(new TextDecoder().decode(payload)) as Partial<Envelope>;
		if (e.v !== 1 || typeof e.to !== 'string' || typeof e.box !== 'string' || !Number.isInteger(e.i) || e.i! < 0 || e.i! >= KEY_RING || (e.ask !== undefined && e.ask !== true)) return undefined;
		return e as Envelope;
	} catch {
		return undefined;
	}
}
