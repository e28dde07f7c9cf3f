import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.js';
import { storeContract } from './store.contract.js';
import { StoreFullError } from './store.js';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { a: store, b: store, close: () => store.close() };
});

describe('MemoryStore', () => {
  it('add: a fixed window keeps the expiry it was created with', async () => {
    let t = 0;
    const store = new MemoryStore({ now: () => t });
    expect(await store.add('k', 1, { ttlMs: 1000 })).toBe(1);
    t = 600;
    expect(await store.add('k', 1, { ttlMs: 1000 })).toBe(2);
    expect(await store.ttl('k')).toBe(400);
    t = 1000;
    expect(await store.ttl('k')).toBeUndefined();
    expect(await store.add('k', 1, { ttlMs: 1000 })).toBe(1);
  });

  it('add: a count back at zero takes no room, and giving back what is not there creates nothing', async () => {
    const store = new MemoryStore();
    await store.add('g', 2, { ttlMs: 1000 });
    expect(await store.add('g', -1, { ttlMs: 1000 })).toBe(1);
    expect(await store.add('g', -1, { ttlMs: 1000 })).toBe(0);
    expect(store.size).toBe(0);
    expect(await store.add('g', -1, { ttlMs: 1000 })).toBe(-1);
    expect(store.size).toBe(0);
  });

  it('setIfAbsent: only the first call stores, until the key expires', async () => {
    let t = 0;
    const store = new MemoryStore({ now: () => t });
    expect(await Promise.all([store.setIfAbsent('jti', 500), store.setIfAbsent('jti', 500)])).toEqual([true, false]);
    t = 500;
    expect(await store.setIfAbsent('jti', 500)).toBe(true);
  });

  it('when full, sweeps expired keys, then evicts the oldest counter, never a live marker', async () => {
    let t = 0;
    const store = new MemoryStore({ maxKeys: 3, now: () => t });
    await store.setIfAbsent('m1', 10_000);
    await store.add('c1', 1, { ttlMs: 100 });
    await store.add('c2', 1, { ttlMs: 10_000 });
    t = 200; // c1 expired: swept first
    await store.add('c3', 1, { ttlMs: 10_000 });
    expect(await store.ttl('c2')).toBeDefined();
    await store.add('c4', 1, { ttlMs: 10_000 }); // full of live keys: the oldest counter (c2) goes
    expect(await store.ttl('c2')).toBeUndefined();
    expect(await store.setIfAbsent('m1', 10_000)).toBe(false); // the marker is still there
    expect(store.size).toBe(3);
  });

  it('fails closed when only live markers fill it', async () => {
    const store = new MemoryStore({ maxKeys: 2 });
    await store.setIfAbsent('a', 10_000);
    await store.setIfAbsent('b', 10_000);
    await expect(store.setIfAbsent('c', 10_000)).rejects.toBeInstanceOf(StoreFullError);
    await expect(store.add('n', 1, { ttlMs: 10_000 })).rejects.toBeInstanceOf(StoreFullError);
  });
});
