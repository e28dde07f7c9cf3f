// The in-memory store's leases, participant cap, stream claims and shared documents (the base of
// MemoryStore). In one process "shared" means shared by everything in it: a lease is
// always granted to the one holder there is, and a replaced document is handed to every
// watcher synchronously, before replace() resolves. Same behaviour as the Redis store
// (store.contract.ts), without the network.
import { randomUUID } from 'node:crypto';
import type { AdmitRequest, ClaimRequest, Versioned } from './store.js';

interface Lease {
  holder: string;
  expiresAt: number;
}

export abstract class MemoryShared {
  readonly #leases = new Map<string, Lease>();
  readonly #reservations = new Map<string, Map<string, number>>();
  /** key -> member -> expires at (ms). */
  readonly #claims = new Map<string, Map<string, number>>();
  readonly #docs = new Map<string, Versioned>();
  readonly #watchers = new Map<string, Set<(doc: Versioned | undefined) => void>>();

  constructor(protected readonly now: () => number) {}

  async holdLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const t = this.now();
    const lease = this.#leases.get(key);
    if (lease && lease.expiresAt > t && lease.holder !== holder) return false;
    this.#leases.set(key, { holder, expiresAt: t + ttlMs });
    return true;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    if (this.#leases.get(key)?.holder === holder) this.#leases.delete(key);
  }

  async admit(key: string, { member, limit, holdMs, present }: AdmitRequest): Promise<boolean> {
    const t = this.now();
    const held = this.#reservations.get(key) ?? new Map<string, number>();
    for (const [m, until] of held) if (until <= t) held.delete(m);
    const inside = new Set(present);
    const others = [...held.keys()].filter((m) => !inside.has(m) && m !== member).length;
    const admitted = inside.has(member) || held.has(member) || inside.size + others < limit;
    if (admitted) held.set(member, t + holdMs);
    if (held.size > 0) this.#reservations.set(key, held);
    else this.#reservations.delete(key);
    return admitted;
  }

  async claim(key: string, { member, limit, ttlMs }: ClaimRequest): Promise<boolean> {
    const live = this.#liveClaims(key);
    if (!live.has(member) && live.size >= limit) return false;
    this.#claims.set(key, live.set(member, this.now() + ttlMs));
    return true;
  }

  async renewClaims(key: string, members: readonly string[], ttlMs: number): Promise<void> {
    const live = this.#liveClaims(key);
    for (const member of members) live.set(member, this.now() + ttlMs);
    if (live.size > 0) this.#claims.set(key, live);
  }

  async unclaim(key: string, member: string): Promise<void> {
    const live = this.#liveClaims(key);
    live.delete(member);
    if (live.size === 0) this.#claims.delete(key);
  }

  async claims(key: string): Promise<number> {
    return this.#liveClaims(key).size;
  }

  /** The unexpired claims under key (expired ones are dropped, and an empty key with them). */
  #liveClaims(key: string): Map<string, number> {
    const t = this.now();
    const live = this.#claims.get(key) ?? new Map<string, number>();
    for (const [member, until] of live) if (until <= t) live.delete(member);
    if (live.size === 0) this.#claims.delete(key);
    return live;
  }

  async read(key: string): Promise<Versioned | undefined> {
    return this.#docs.get(key);
  }

  async replace(key: string, expected: Versioned | undefined, value: string): Promise<Versioned | undefined> {
    const current = this.#docs.get(key);
    if (current?.epoch !== expected?.epoch || current?.version !== expected?.version) return undefined;
    const next: Versioned = { epoch: current?.epoch ?? randomUUID(), version: (current?.version ?? 0) + 1, value };
    this.#docs.set(key, next);
    for (const listener of this.#watchers.get(key) ?? []) listener(next);
    return next;
  }

  async watch(key: string, listener: (doc: Versioned | undefined) => void): Promise<() => void> {
    const set = this.#watchers.get(key) ?? new Set();
    this.#watchers.set(key, set.add(listener));
    return () => void set.delete(listener);
  }

  /** Never down: there is no network between this process and itself. */
  get available(): boolean {
    return true;
  }

  onAvailability(_listener: (available: boolean) => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#watchers.clear();
  }
}
