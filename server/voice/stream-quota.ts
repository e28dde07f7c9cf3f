// How many WatchChannels streams may be open: a handful per account (its tabs and devices)
// and a total that keeps this server, and Envoy's circuit breaker in front of it, from
// being filled by streams. Counted in the server's store; each open stream holds one unit
// of its account's gauge and one of the total until it ends.
import { Code, ConnectError } from '@connectrpc/connect';
import { storeFault } from '../store/faults.js';
import { StoreFullError, type Store } from '../store/store.js';

export interface StreamQuotaOptions {
  readonly perDid: number;
  readonly total: number;
  /**
   * Gauge lifetime, renewed on every open/close: a count that a crashed process never gave
   * back disappears after this long. Streams end with their session, so the session
   * lifetime plus a margin is enough.
   */
  readonly ttlMs: number;
}

const TOTAL = 'streams:total';

export class StreamQuota {
  constructor(
    private readonly store: Store,
    private readonly opts: StreamQuotaOptions,
  ) {}

  /** Takes one stream for did; returns its release (idempotent), or throws RESOURCE_EXHAUSTED. */
  async open(did: string): Promise<() => void> {
    const mine = `streams:did:${did}`;
    const taken: string[] = [];
    try {
      const own = await this.add(mine, 1);
      taken.push(mine);
      if (own > this.opts.perDid) {
        throw new ConnectError(
          `this account already has ${this.opts.perDid} live channel lists open (tabs or devices); close one and try again`,
          Code.ResourceExhausted,
        );
      }
      const all = await this.add(TOTAL, 1);
      taken.push(TOTAL);
      if (all > this.opts.total) throw new ConnectError('the server is at its limit of live channel lists; try again in a minute', Code.ResourceExhausted);
    } catch (err) {
      await this.giveBack(taken);
      if (err instanceof StoreFullError) throw new ConnectError(err.message, Code.ResourceExhausted);
      throw storeFault(err); // a stream's errors pass no interceptor: say UNAVAILABLE here
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      void this.giveBack(taken);
    };
  }

  private add(key: string, by: number): Promise<number> {
    return this.store.add(key, by, { ttlMs: this.opts.ttlMs, slide: true });
  }

  private async giveBack(keys: readonly string[]): Promise<void> {
    // A store that cannot take the count back only makes the gauge expire later (ttlMs).
    await Promise.all(keys.map((key) => this.add(key, -1).catch(() => undefined)));
  }
}
