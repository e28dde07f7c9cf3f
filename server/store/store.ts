// Everything the API server remembers between requests goes through this one small,
// async interface: the service-token replay cache, the rate-limit counters and the
// WatchChannels stream counters. One process uses the in-memory store (memory.ts, the
// default); several replicas need a shared one. Every operation is a single atomic step
// so that a network store can implement each with one command or script (Redis: INCRBY +
// PEXPIRE NX in a MULTI or a Lua script; SET NX PX; PTTL; DEL).

/** The store cannot take a new key (memory bound reached, or the backend is unreachable). */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

export interface CounterOptions {
  /** Lifetime of the key, in milliseconds. */
  readonly ttlMs: number;
  /**
   * false (a fixed window, for rate limits): the expiry is set when the key is created and
   * kept. true (a gauge, for open streams): every change pushes the expiry ttlMs ahead, so a
   * count that a crashed process never gave back still disappears in the end.
   */
  readonly slide?: boolean;
}

export interface Store {
  /**
   * Adds `by` (may be negative) to the integer at key and returns the new value. A missing or
   * expired key counts as 0 and is created with the given expiry. A result <= 0 removes the
   * key (a gauge back at zero takes no room).
   */
  add(key: string, by: number, options: CounterOptions): Promise<number>;
  /** Stores key with an expiry only if it is not there yet; true when this call stored it. */
  setIfAbsent(key: string, ttlMs: number): Promise<boolean>;
  /** Milliseconds until key expires, or undefined when it does not exist. */
  ttl(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
}
