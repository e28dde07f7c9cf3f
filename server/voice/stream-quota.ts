// How many WatchChannels streams may be open: a handful per account (its tabs and devices),
// counted across every replica, and a total per replica.
//
// Per account: each open stream is its own claim in the store (a member of the account's
// claim set, with its own expiry), renewed by this replica's heartbeat while the stream
// lives and given back when it ends. A release that never arrives (the replica was killed,
// Redis was down when the stream ended) costs nothing for long: the claim expires within
// one claim lifetime, and a claim the store lost (a Redis restart) is made again by the next
// heartbeat. Counts return to the truth within one claim lifetime, whatever failed.
//
// The total (MICROCLIMATE_MAX_STREAMS) is per replica, counted in this process: what it
// protects is this replica's memory, sockets and event loop, which are per-replica resources.
// A cluster-wide total would refuse streams on a replica with room because others are full,
// and would have to be changed whenever replicas are added. Kept in memory, it is exact and
// dies with the process: nothing to leak. (Envoy's cluster-wide circuit breaker is sized to
// replicas x this total; deploy/envoy.yaml.)
import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { watchStreamCapHits, watchStreamsOpen } from '../metrics/registry.js';
import { storeFault } from '../store/faults.js';
import { StoreFullError, type Store } from '../store/store.js';

export interface StreamQuotaOptions {
  readonly perDid: number;
  /** Open streams on this replica. */
  readonly total: number;
  /** How long a stream's claim lives without a heartbeat; the heartbeat comes 3 times as often. */
  readonly claimTtlMs: number;
}

export const DEFAULT_CLAIM_TTL_MS = 60_000;

export class StreamQuota {
  readonly #store: Store;
  readonly #opts: StreamQuotaOptions;
  /** Streams open on this replica: account -> their claim ids. */
  readonly #open = new Map<string, Set<string>>();
  #count = 0;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(store: Store, opts: StreamQuotaOptions) {
    this.#store = store;
    this.#opts = opts;
  }

  /** Streams open on this replica. */
  get count(): number {
    return this.#count;
  }

  /** Takes one stream for did; returns its release (idempotent), or throws RESOURCE_EXHAUSTED. */
  async open(did: string): Promise<() => void> {
    if (this.#count >= this.#opts.total) {
      watchStreamCapHits.inc({ limit: 'replica' });
      throw new ConnectError('the server is at its limit of live channel lists; try again in a minute', Code.ResourceExhausted);
    }
    this.#count++; // held while the store answers, so concurrent opens cannot pass the total
    const id = randomUUID();
    let claimed;
    try {
      claimed = await this.#store.claim(claimKey(did), { member: id, limit: this.#opts.perDid, ttlMs: this.#opts.claimTtlMs });
    } catch (err) {
      this.#count--;
      if (err instanceof StoreFullError) throw new ConnectError(err.message, Code.ResourceExhausted);
      throw storeFault(err); // a stream's errors pass no interceptor: say UNAVAILABLE here
    }
    if (!claimed) {
      this.#count--;
      watchStreamCapHits.inc({ limit: 'per_account' });
      throw new ConnectError(
        `this account already has ${this.#opts.perDid} live channel lists open (tabs or devices); close one and try again`,
        Code.ResourceExhausted,
      );
    }
    this.#track(did, id);
    watchStreamsOpen.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count--;
      watchStreamsOpen.dec();
      this.#untrack(did, id);
      // Not awaited: the stream is over either way, and a release the store does not take
      // (it is down) only leaves a claim that expires by itself within claimTtlMs.
      void this.#store.unclaim(claimKey(did), id).catch(() => undefined);
    };
  }

  /** Stops the heartbeat (the server closes; its streams end and release on their own). */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #track(did: string, id: string): void {
    const ids = this.#open.get(did) ?? new Set<string>();
    this.#open.set(did, ids.add(id));
    this.#heartbeat ??= setInterval(() => this.#renew(), Math.max(10, Math.floor(this.#opts.claimTtlMs / 3))).unref();
  }

  #untrack(did: string, id: string): void {
    const ids = this.#open.get(did);
    ids?.delete(id);
    if (ids?.size === 0) this.#open.delete(did);
    if (this.#open.size === 0) this.close();
  }

  #renew(): void {
    for (const [did, ids] of this.#open) {
      // Not awaited: each heartbeat is independent, and one the store misses (it is down) is
      // made good by the next one, which also makes again any claim the store lost.
      void this.#store.renewClaims(claimKey(did), [...ids], this.#opts.claimTtlMs).catch(() => undefined);
    }
  }
}

function claimKey(did: string): string {
  return `streams:did:${did}`;
}
