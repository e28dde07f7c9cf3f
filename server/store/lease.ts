// A lease in the store: at most one replica holds it at a time, renews it while it lives,
// and gives it back on close; if the holder dies, the lease expires and another replica
// takes it on its next try. Used so that only one replica polls LiveKit's room API for the
// reconciliation, not N. Not being able to reach the store counts as not holding it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { logEvent, type LogWriter } from '../log.js';
import type { Store } from './store.js';

/** This process among the replicas (logs, lease holder). Unique even for two in one process. */
export function replicaId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface LeaseOptions {
  readonly store: Store;
  readonly key: string;
  readonly holder: string;
  /** Expiry of an unrenewed lease: how long a dead holder blocks a take-over. */
  readonly ttlMs: number;
  readonly log: LogWriter;
}

export class StoreLease {
  readonly #o: LeaseOptions;
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: LeaseOptions) {
    this.#o = options;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Tries at once, then every third of the ttl (renewing, or waiting for it to be free). */
  start(): void {
    void this.#try();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#held) await this.#o.store.releaseLease(this.#o.key, this.#o.holder).catch(() => undefined);
    this.#held = false;
  }

  async #try(): Promise<void> {
    const { store, key, holder, ttlMs, log } = this.#o;
    const held = await store.holdLease(key, holder, ttlMs).catch(() => false);
    if (this.#stopped) return;
    if (held !== this.#held) logEvent(log, held ? 'lease_taken' : 'lease_lost', { lease: key, holder });
    this.#held = held;
    this.#timer = setTimeout(() => void this.#try(), Math.max(50, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }
}
