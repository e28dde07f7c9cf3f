// The shared store: Redis, when MICROCLIMATE_REDIS_URL is set, so that every API replica
// has one replay cache, one set of rate limits, one occupancy and one participant cap.
//
// Client: ioredis 5. It is made for Node, reconnects by itself with a strategy we choose,
// resubscribes pub/sub channels after a reconnect, and runs Lua through EVALSHA with a
// fallback (defineCommand), which a restarted Redis (empty script cache) needs. It is also
// the client this stack's own PDS (@atproto/pds) uses, so the lockfile holds one copy.
// node-redis would do as well; ioredis's offline-queue switch is what decided it (below).
//
// Failure mode: commands never wait for a Redis that is down. The offline queue is off and
// a command in flight when the connection drops is not retried, so a call fails within
// COMMAND_TIMEOUT_MS with StoreUnavailableError (UNAVAILABLE to the client), and the
// replay cache fails closed. The connection keeps retrying in the background; once Redis
// answers again everything works without a restart.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { RedisWatch } from './redis-watch.js';
import { ADD, ADMIT, CLAIM, COUNT_CLAIMS, HOLD_LEASE, RELEASE_LEASE, RENEW_CLAIMS, REPLACE } from './redis-scripts.js';
import { StoreUnavailableError, type AdmitRequest, type ClaimRequest, type CounterOptions, type Store, type Versioned } from './store.js';

const COMMAND_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 1000;

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface Scripts {
  mcAdd: Script;
  mcHoldLease: Script;
  mcReleaseLease: Script;
  mcAdmit: Script;
  mcReplace: Script;
  mcClaim: Script;
  mcRenewClaims: Script;
  mcCountClaims: Script;
}

export interface RedisStoreOptions {
  /** redis://[:password@]host:port[/db] (rediss: for TLS). Never logged: it holds the password. */
  readonly url: string;
  /** Namespaces every key and pub/sub channel, so one Redis can serve other things too. */
  readonly prefix?: string;
}

export class RedisStore implements Store {
  readonly #client: Redis & Scripts;
  readonly #watch: RedisWatch;
  readonly #prefix: string;
  readonly #availability = new EventEmitter();
  #available = false;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.prefix ?? 'microclimate:';
    const client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS),
    });
    client.defineCommand('mcAdd', { numberOfKeys: 1, lua: ADD });
    client.defineCommand('mcHoldLease', { numberOfKeys: 1, lua: HOLD_LEASE });
    client.defineCommand('mcReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE });
    client.defineCommand('mcAdmit', { numberOfKeys: 1, lua: ADMIT });
    client.defineCommand('mcReplace', { numberOfKeys: 1, lua: REPLACE });
    client.defineCommand('mcClaim', { numberOfKeys: 1, lua: CLAIM });
    client.defineCommand('mcRenewClaims', { numberOfKeys: 1, lua: RENEW_CLAIMS });
    client.defineCommand('mcCountClaims', { numberOfKeys: 1, lua: COUNT_CLAIMS });
    this.#client = client as Redis & Scripts;
    // Without an 'error' listener ioredis would crash the process on a refused connection.
    client.on('error', () => undefined);
    client.on('ready', () => this.#setAvailable(true));
    client.on('close', () => this.#setAvailable(false));
    this.#watch = new RedisWatch(client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined }), (key) => this.read(key));
  }

  /** Connects; resolves when Redis answered or after the first attempt failed (it keeps retrying). */
  async connect(): Promise<void> {
    await Promise.all([this.#client.connect().catch(() => undefined), this.#watch.connect()]);
  }

  get available(): boolean {
    return this.#available;
  }

  onAvailability(listener: (available: boolean) => void): () => void {
    this.#availability.on('change', listener);
    return () => this.#availability.off('change', listener);
  }

  add(key: string, by: number, { ttlMs }: CounterOptions): Promise<number> {
    return this.#run(async (c) => Number(await c.mcAdd(this.#key(key), by, Math.max(1, Math.ceil(ttlMs)))));
  }

  setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    return this.#run(async (c) => (await c.set(this.#key(key), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK');
  }

  ttl(key: string): Promise<number | undefined> {
    return this.#run(async (c) => {
      const ms = await c.pttl(this.#key(key));
      return ms >= 0 ? ms : undefined;
    });
  }

  delete(key: string): Promise<void> {
    return this.#run(async (c) => void (await c.del(this.#key(key))));
  }

  holdLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#run(async (c) => Number(await c.mcHoldLease(this.#key(key), holder, Math.max(1, Math.ceil(ttlMs)))) === 1);
  }

  releaseLease(key: string, holder: string): Promise<void> {
    return this.#run(async (c) => void (await c.mcReleaseLease(this.#key(key), holder)));
  }

  admit(key: string, { member, limit, holdMs, present }: AdmitRequest): Promise<boolean> {
    return this.#run(async (c) => Number(await c.mcAdmit(this.#key(key), member, limit, Math.max(1, Math.ceil(holdMs)), ...present)) === 1);
  }

  claim(key: string, { member, limit, ttlMs }: ClaimRequest): Promise<boolean> {
    return this.#run(async (c) => Number(await c.mcClaim(this.#key(key), member, limit, Math.max(1, Math.ceil(ttlMs)))) === 1);
  }

  renewClaims(key: string, members: readonly string[], ttlMs: number): Promise<void> {
    return this.#run(async (c) => void (await c.mcRenewClaims(this.#key(key), Math.max(1, Math.ceil(ttlMs)), ...members)));
  }

  unclaim(key: string, member: string): Promise<void> {
    return this.#run(async (c) => void (await c.zrem(this.#key(key), member)));
  }

  claims(key: string): Promise<number> {
    return this.#run(async (c) => Number(await c.mcCountClaims(this.#key(key))));
  }

  read(key: string): Promise<Versioned | undefined> {
    return this.#run(async (c) => {
      const [epoch, version, value] = await c.hmget(this.#key(key), 'e', 'v', 'd');
      return epoch && version && typeof value === 'string' ? { epoch, version: Number(version), value } : undefined;
    });
  }

  replace(key: string, expected: Versioned | undefined, value: string): Promise<Versioned | undefined> {
    return this.#run(async (c) => {
      const k = this.#key(key);
      const message = await c.mcReplace(k, expected?.epoch ?? '', expected?.version ?? 0, value, randomUUID(), k);
      return typeof message === 'string' ? RedisWatch.parse(message) : undefined;
    });
  }

  watch(key: string, listener: (doc: Versioned | undefined) => void): Promise<() => void> {
    return this.#watch.add(this.#key(key), key, listener);
  }

  async close(): Promise<void> {
    this.#client.disconnect();
    await this.#watch.close();
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  #setAvailable(available: boolean): void {
    if (available === this.#available) return;
    this.#available = available;
    this.#availability.emit('change', available);
  }

  async #run<T>(operation: (client: Redis & Scripts) => Promise<T>): Promise<T> {
    try {
      return await operation(this.#client);
    } catch (error) {
      // Also a Redis that is still loading its data or refuses our password: either way not
      // usable now. ioredis's messages name the address at most, never the password.
      throw new StoreUnavailableError('the shared store (Redis) is unreachable right now; try again shortly', { cause: error });
    }
  }
}
