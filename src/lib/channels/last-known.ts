// The last known channel list: what the live list last showed (channels, the people in them,
// their names and avatar URLs; never a token), kept as one small JSON record beside the
// session so a signed-in start paints it at once, marked as not live, before the stream is up.
//
// Nothing stale is trusted:
// - it is shown only to the account and server it was written for (a record of another
//   account or server is ignored);
// - a record older than MAX_AGE_MS, or dated in the future (a clock set back), is not shown;
// - it is written only while its session is still stored (putBesideSession), and removed
//   with the session (clearSession: sign-out, a server change) in the same transaction.
import { request, withStore } from '$lib/auth/app-db.js';
import { LAST_KNOWN_KEY, putBesideSession, type AppSession } from '$lib/auth/app-session.js';
import type { ChannelView, Person } from './channel-list.js';

/** Older than this, a last known list says little about who is there now: it is not shown. */
export const MAX_AGE_MS = 12 * 60 * 60 * 1000;
/** A record this far in the future was written under another clock: not trusted. */
const FUTURE_SLACK_MS = 60_000;
/** The live list changes with every join and mute: it is written at most this often. */
export const WRITE_EVERY_MS = 2_000;

type Owner = Pick<AppSession, 'did' | 'serverUrl'>;

export interface LastKnownRecord {
	did: string;
	serverUrl: string;
	/** Epoch milliseconds when the live list looked like this. */
	savedAt: number;
	channels: ChannelView[];
}

export interface LastKnownList {
	channels: ChannelView[];
	savedAt: number;
}

/** The stored record as it is (possibly another account's or stale); undefined when none or unreadable. */
export async function readLastKnown(): Promise<unknown> {
	return withStore('readonly', (s) => request(s.get(LAST_KNOWN_KEY)));
}

/** The list `owner` may be shown now, or undefined: another account's, stale, or malformed. */
export function usableLastKnown(stored: unknown, owner: Owner | undefined, now: number): LastKnownList | undefined {
	if (!owner || !isRecord(stored)) return undefined;
	if (stored.did !== owner.did || stored.serverUrl !== owner.serverUrl) return undefined;
	if (now - stored.savedAt > MAX_AGE_MS || stored.savedAt - now > FUTURE_SLACK_MS) return undefined;
	return { channels: stored.channels.map(copyChannel), savedAt: stored.savedAt };
}

/** The record for `channels`: only the listed fields are copied, so nothing else is ever stored. */
export function recordOf(owner: Owner, channels: ChannelView[], now: number): LastKnownRecord {
	return { did: owner.did, serverUrl: owner.serverUrl, savedAt: now, channels: channels.map(copyChannel) };
}

export interface WriterOptions {
	everyMs?: number;
	now?: () => number;
	put?: (record: LastKnownRecord, owner: Owner) => Promise<unknown>;
}

/**
 * Writes the live list of `owner` as it changes: at once for the first change, then at most
 * once every `everyMs` with the latest list. stop() drops a write not yet made.
 */
export class LastKnownWriter {
	#owner: Owner;
	#everyMs: number;
	#now: () => number;
	#put: (record: LastKnownRecord, owner: Owner) => Promise<unknown>;
	#latest: ChannelView[] | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#lastWrite = -Infinity;

	constructor(owner: Owner, options: WriterOptions = {}) {
		this.#owner = { did: owner.did, serverUrl: owner.serverUrl };
		this.#everyMs = options.everyMs ?? WRITE_EVERY_MS;
		this.#now = options.now ?? Date.now;
		this.#put = options.put ?? ((record, who) => putBesideSession(LAST_KNOWN_KEY, record, who));
	}

	update(channels: ChannelView[]): void {
		this.#latest = channels;
		if (this.#timer) return;
		const wait = this.#lastWrite + this.#everyMs - this.#now();
		if (wait <= 0) this.#write();
		else this.#timer = setTimeout(() => this.#write(), wait);
	}

	stop(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#latest = undefined;
	}

	#write(): void {
		this.#timer = undefined;
		const channels = this.#latest;
		if (!channels) return;
		this.#latest = undefined;
		this.#lastWrite = this.#now();
		// Best effort: a browser that blocks storage starts without a last known list.
		void this.#put(recordOf(this.#owner, channels, this.#lastWrite), this.#owner).catch(() => {});
	}
}

function copyChannel(c: ChannelView): ChannelView {
	const copy: ChannelView = { id: c.id, name: c.name, people: c.people.map(copyPerson) };
	if (typeof c.max === 'number') copy.max = c.max;
	return copy;
}

function copyPerson(p: Person): Person {
	return { did: p.did, handle: p.handle, muted: p.muted, displayName: p.displayName, avatarUrl: p.avatarUrl };
}

const isString = (v: unknown): v is string => typeof v === 'string';

function isPerson(v: unknown): v is Person {
	if (typeof v !== 'object' || v === null) return false;
	const p = v as Record<string, unknown>;
	return isString(p.did) && isString(p.handle) && typeof p.muted === 'boolean' && isString(p.displayName) && isString(p.avatarUrl);
}

function isChannel(v: unknown): v is ChannelView {
	if (typeof v !== 'object' || v === null) return false;
	const c = v as Record<string, unknown>;
	const max = c.max === undefined || (typeof c.max === 'number' && Number.isInteger(c.max) && c.max >= 0);
	return isString(c.id) && isString(c.name) && Array.isArray(c.people) && c.people.every(isPerson) && max;
}

function isRecord(v: unknown): v is LastKnownRecord {
	if (typeof v !== 'object' || v === null) return false;
	const r = v as Record<string, unknown>;
	return isString(r.did) && isString(r.serverUrl) && typeof r.savedAt === 'number' && Number.isFinite(r.savedAt) && Array.isArray(r.channels) && r.channels.every(isChannel);
}
