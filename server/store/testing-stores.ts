// Test support (not used by the server): the two stores the server's specs run against.
// handle() gives one replica's handle on a shared state: the same MemoryStore every time,
// or a new Redis client (on the vitest global set-up's redis-server) with this state's prefix.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import { StoreUnavailableError, type Store } from './store.js';
import './testing-redis.js';

export const STORE_KINDS = ['memory', 'redis'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface SharedState {
  handle(): Promise<Store>;
  close(): Promise<void>;
}

export function sharedState(kind: StoreKind, url?: string): SharedState {
  const opened: Store[] = [];
  const memory = new MemoryStore();
  const prefix = `spec:${randomUUID()}:`;
  return {
    async handle() {
      if (kind === 'memory') return memory;
      const store = new RedisStore({ url: url ?? inject('redisUrl'), prefix });
      opened.push(store);
      await store.connect();
      return store;
    },
    async close() {
      await Promise.all([memory.close(), ...opened.map((s) => s.close())]);
    },
  };
}

/**
 * A replica's handle on which the operations named in `ops` fail while `failing` is set, as
 * when this replica cannot reach Redis (the data stays there); everything else works.
 */
export function withFaults(store: Store, ops: readonly (keyof Store)[]): { readonly store: Store; failing: boolean } {
  const control = { store, failing: false };
  const names = new Set<PropertyKey>(ops);
  control.store = new Proxy(store, {
    get(target, prop) {
      if (control.failing && names.has(prop)) {
        return () => Promise.reject(new StoreUnavailableError('injected: the shared store is unreachable'));
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return control;
}
