// The default store: one Map in this process. Memory is bounded: at most maxKeys live keys.
// When full, expired keys are swept first; then the oldest COUNTER gives way (it restarts
// early: a bounded leniency). A key set with setIfAbsent (a used service-token jti) is
// never evicted while it lives, because evicting it would reopen it for replay: when only
// such keys fill the store, new ones are refused with StoreFullError (fail closed).
// Leases, the participant cap, stream claims (bounded by the stream limits) and the shared
// documents have their own small maps (memory-shared.ts), outside the bound.
import { MemoryShared } from './memory-shared.js';
import { StoreFullError, type CounterOptions, type Store } from './store.js';

interface Entry {
  value: number;
  expiresAt: number;
  /** Counters may be evicted under pressure; markers (setIfAbsent) may not. */
  evictable: boolean;
}

export interface MemoryStoreOptions {
  /** Default 100 000. */
  readonly maxKeys?: number;
  /** Milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export class MemoryStore extends MemoryShared implements Store {
  // Map order = creation order, so the first evictable entry is the oldest counter.
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;

  constructor(options: MemoryStoreOptions = {}) {
    super(options.now ?? Date.now);
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  async add(key: string, by: number, { ttlMs }: CounterOptions): Promise<number> {
    const t = this.now();
    let entry = this.live(key, t);
    if (entry === undefined) {
      if (by <= 0) return by; // nothing to give back: never create a key below zero
      this.makeRoom(t);
      entry = { value: 0, expiresAt: t + ttlMs, evictable: true };
      this.entries.set(key, entry);
    }
    entry.value += by;
    if (entry.value <= 0) this.entries.delete(key);
    return entry.value;
  }

  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    const t = this.now();
    if (this.live(key, t) !== undefined) return false;
    this.makeRoom(t);
    this.entries.set(key, { value: 1, expiresAt: t + ttlMs, evictable: false });
    return true;
  }

  async ttl(key: string): Promise<number | undefined> {
    const t = this.now();
    const entry = this.live(key, t);
    return entry === undefined ? undefined : entry.expiresAt - t;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Keys held, expired ones included until swept (tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string, t: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > t) return entry;
    this.entries.delete(key);
    return undefined;
  }

  private makeRoom(t: number): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
    if (this.entries.size < this.maxKeys) return;
    for (const [k, e] of this.entries) {
      if (!e.evictable) continue;
      this.entries.delete(k);
      return;
    }
    throw new StoreFullError('too many requests right now; try again shortly');
  }
}
