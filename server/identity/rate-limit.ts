// Fixed-window rate limiter keyed by string (a DID, a client address). CreateSession costs
// DID and handle lookups on other people's servers, so one caller must not be able to make
// us hammer a PLC or a PDS, nor fill the replay cache.
//
// Memory is bounded: at most maxKeys windows are tracked. When full, expired windows are
// dropped first; if every window is still live, the oldest one is dropped (a key may then
// get a fresh window early: a rare, bounded leniency, better than unbounded growth).

export interface RateLimiterOptions {
  /** Requests allowed per key per window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Default 10 000. */
  readonly maxKeys?: number;
  /** Milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Milliseconds until the window resets (for a Retry-After style hint). */
  readonly retryAfterMs: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly opts: RateLimiterOptions) {
    if (!(opts.limit >= 1) || !(opts.windowMs > 0)) throw new RangeError('rate limit and window must be positive');
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Counts one request for key and says whether it may proceed. */
  take(key: string): RateDecision {
    const t = this.now();
    let w = this.windows.get(key);
    if (w === undefined || t - w.start >= this.opts.windowMs) {
      this.windows.delete(key); // re-insert at the end so Map order = oldest window first
      this.makeRoom(t);
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    const retryAfterMs = w.start + this.opts.windowMs - t;
    if (w.count >= this.opts.limit) return { allowed: false, remaining: 0, retryAfterMs };
    w.count++;
    return { allowed: true, remaining: this.opts.limit - w.count, retryAfterMs };
  }

  /** Number of keys tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(t: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [k, w] of this.windows) if (t - w.start >= this.opts.windowMs) this.windows.delete(k);
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}
