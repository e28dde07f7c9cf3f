// Fixed-window rate limiter keyed by string (a DID, a client address). CreateSession costs
// DID and handle lookups on other people's servers, so one caller must not be able to make
// us hammer a PLC or a PDS, nor fill the replay cache.
//
// The counters live in the server's store (server/store/), so their memory bound is the
// store's, and several replicas sharing a store share one budget.
import { StoreFullError, type Store } from '../store/store.js';

export interface RateLimiterOptions {
  readonly store: Store;
  /** Keeps this limiter's keys apart from others' in the shared store, e.g. "sign-in:address". */
  readonly name: string;
  /** Requests allowed per key per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Milliseconds until the window resets (for a Retry-After style hint). */
  readonly retryAfterMs: number;
}

export class RateLimiter {
  constructor(private readonly opts: RateLimiterOptions) {
    if (!(opts.limit >= 1) || !(opts.windowMs > 0)) throw new RangeError('rate limit and window must be positive');
  }

  /** Counts one request for key and says whether it may proceed. */
  async take(key: string): Promise<RateDecision> {
    const storeKey = `rate:${this.opts.name}:${key}`;
    let count;
    try {
      count = await this.opts.store.add(storeKey, 1, { ttlMs: this.opts.windowMs });
    } catch (err) {
      // A store that cannot count must not let everyone through.
      if (err instanceof StoreFullError) return { allowed: false, remaining: 0, retryAfterMs: this.opts.windowMs };
      throw err;
    }
    const retryAfterMs = (await this.opts.store.ttl(storeKey)) ?? this.opts.windowMs;
    if (count > this.opts.limit) return { allowed: false, remaining: 0, retryAfterMs };
    return { allowed: true, remaining: this.opts.limit - count, retryAfterMs };
  }
}
