// Everything the API server remembers between requests goes through this one small,
// async interface: the service-token replay cache, the rate-limit counters, the
// WatchChannels stream claims, the LiveKit webhook de-duplication, the channel occupancy
// (one shared document, see voice/shared-occupancy.ts), the per-channel participant cap
// and the reconciliation lease. One process uses the in-memory store (memory.ts, the
// default); several replicas share the Redis one (redis.ts). Every operation is a single
// atomic step so that a network store implements each with one command or one Lua script.
// store.contract.ts is the behaviour both must have.

/** The store cannot take a new key (memory bound reached). */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

/**
 * The store cannot be reached (Redis down, timed out). Callers fail closed: a sign-in whose
 * jti cannot be remembered is refused, and the RPC answers UNAVAILABLE (app-faults.ts).
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface CounterOptions {
  /** Lifetime of the key (a fixed window, for rate limits): set when it is created, then kept. */
  readonly ttlMs: number;
}

export interface ClaimRequest {
  /** Who claims (one open stream's id). */
  readonly member: string;
  /** At most this many live claims under the key; a member that holds one is always renewed. */
  readonly limit: number;
  /** How long the claim lives unless renewed. */
  readonly ttlMs: number;
}

/** A shared document: its text, its version, and the epoch its version counts in. */
export interface Versioned {
  /** Chosen when the document is created; a new one after a store lost its data (restart). */
  readonly epoch: string;
  readonly version: number;
  readonly value: string;
}

export interface AdmitRequest {
  /** Who asks for a place (a DID). */
  readonly member: string;
  /** At most this many distinct members: the present ones plus live reservations. */
  readonly limit: number;
  /** How long a new reservation holds its place (the time a join takes to be seen). */
  readonly holdMs: number;
  /** Who is in already (they count, and may always come back). */
  readonly present: readonly string[];
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

  /** Takes or renews the lease `key` for `holder`; false while someone else holds it. */
  holdLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back if `holder` has it (so another can take over at once). */
  releaseLease(key: string, holder: string): Promise<void>;

  /**
   * The participant cap, atomically: true (and a reservation for member, renewed if held)
   * when member is present, already holds a live reservation, or the present members plus
   * the other live reservations are fewer than limit.
   */
  admit(key: string, request: AdmitRequest): Promise<boolean>;

  /**
   * Expiring claims (open streams): each member of key lives until its own expiry, and
   * expired members are dropped before anything is counted, so a claim whose holder died
   * (SIGKILL, OOM) or whose release was lost (a store outage) disappears by itself within
   * its ttl; no count ever drifts. claim takes a place if fewer than limit are live (or
   * renews member's own); true when member holds one now.
   */
  claim(key: string, request: ClaimRequest): Promise<boolean>;
  /** Renews each member's claim for ttlMs, making it again if it was lost (a store restart). */
  renewClaims(key: string, members: readonly string[], ttlMs: number): Promise<void>;
  /** Gives member's claim back. */
  unclaim(key: string, member: string): Promise<void>;
  /** How many claims under key are live. */
  claims(key: string): Promise<number>;

  /** The document at key, or undefined. */
  read(key: string): Promise<Versioned | undefined>;
  /**
   * Writes value if the document is still `expected` (same epoch and version; undefined =
   * absent) and publishes the new version to every watcher of key, on every replica.
   * Returns the new document, or undefined when someone else wrote first.
   */
  replace(key: string, expected: Versioned | undefined, value: string): Promise<Versioned | undefined>;
  /**
   * Calls listener with each new version of key, and again with the current document after
   * the store was unreachable (changes may have been missed). Resolves once subscribed.
   */
  watch(key: string, listener: (doc: Versioned | undefined) => void): Promise<() => void>;

  /** False while the store cannot be reached (health checks report NOT_SERVING). */
  readonly available: boolean;
  /** Calls listener whenever `available` changes; returns the unsubscribe function. */
  onAvailability(listener: (available: boolean) => void): () => void;
  /** Closes connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
