// The behaviour every Store must have, run on each implementation (memory.spec.ts,
// redis.spec.ts). `a` and `b` are two handles on one shared state: for memory the same
// object, for Redis two clients (two replicas) on one server. Times are real and short.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, Versioned } from './store.js';

export interface SharedStores {
  readonly a: Store;
  readonly b: Store;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function storeContract(name: string, open: () => Promise<SharedStores>): void {
  describe(`${name}: the store contract`, () => {
    let a: Store;
    let b: Store;
    let stores: SharedStores;
    beforeEach(async () => {
      stores = await open();
      ({ a, b } = stores);
    });
    afterEach(() => stores.close());

    it('add counts across handles, keeps a fixed window, and removes a key back at zero', async () => {
      expect(await a.add('c', 1, { ttlMs: 10_000 })).toBe(1);
      expect(await b.add('c', 2, { ttlMs: 10_000 })).toBe(3);
      const ttl = (await a.ttl('c'))!;
      expect(ttl).toBeGreaterThan(9_000);
      expect(ttl).toBeLessThanOrEqual(10_000);
      expect(await a.add('c', -3, { ttlMs: 10_000 })).toBe(0);
      expect(await b.ttl('c')).toBeUndefined();
      expect(await a.add('c', -1, { ttlMs: 10_000 })).toBe(-1); // never below zero
      expect(await a.ttl('c')).toBeUndefined();
    });

    it('a counter expires after its window', async () => {
      await a.add('w', 5, { ttlMs: 60 });
      await sleep(120);
      expect(await b.add('w', 1, { ttlMs: 60 })).toBe(1);
    });

    it('setIfAbsent lets exactly one of two concurrent handles store a key (the replay cache)', async () => {
      const results = await Promise.all([a.setIfAbsent('jti:x', 5_000), b.setIfAbsent('jti:x', 5_000)]);
      expect(results.sort()).toEqual([false, true]);
      await a.delete('jti:x');
      expect(await b.setIfAbsent('jti:x', 5_000)).toBe(true);
    });

    it('a lease has one holder; it renews, is given back, and passes on when it expires', async () => {
      expect(await a.holdLease('lease', 'A', 200)).toBe(true);
      expect(await b.holdLease('lease', 'B', 200)).toBe(false);
      expect(await a.holdLease('lease', 'A', 200)).toBe(true);
      await b.releaseLease('lease', 'B'); // not B's: nothing happens
      expect(await b.holdLease('lease', 'B', 200)).toBe(false);
      await a.releaseLease('lease', 'A');
      expect(await b.holdLease('lease', 'B', 80)).toBe(true);
      await sleep(150);
      expect(await a.holdLease('lease', 'A', 200)).toBe(true);
    });

    it('admit holds the cap: present people and live reservations count, a member may always return', async () => {
      const ask = (s: Store, member: string, present: string[] = []) => s.admit('cap:lobby', { member, limit: 2, holdMs: 150, present });
      expect(await ask(a, 'did:x:1')).toBe(true);
      expect(await ask(b, 'did:x:2')).toBe(true);
      expect(await ask(a, 'did:x:3')).toBe(false);
      expect(await ask(b, 'did:x:1')).toBe(true); // a reservation renews
      // Present people count once even when they also hold a reservation.
      expect(await ask(a, 'did:x:3', ['did:x:1', 'did:x:2'])).toBe(false);
      expect(await ask(a, 'did:x:2', ['did:x:1', 'did:x:2'])).toBe(true);
      await sleep(250); // the reservations lapse; only who is present counts now
      expect(await ask(b, 'did:x:3', ['did:x:1'])).toBe(true);
      expect(await ask(a, 'did:x:4', ['did:x:1'])).toBe(false);
    });

    it('concurrent admits never pass the cap', async () => {
      const asks = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).admit('cap:music', { member: `did:x:${i}`, limit: 3, holdMs: 5_000, present: [] }));
      expect((await Promise.all(asks)).filter(Boolean)).toHaveLength(3);
    });

    it('claims: each member has its own expiry, the limit counts live ones, a renewal brings a lost one back', async () => {
      const claim = (s: Store, member: string) => s.claim('streams:x', { member, limit: 2, ttlMs: 300 });
      expect(await claim(a, 's1')).toBe(true);
      expect(await claim(b, 's2')).toBe(true);
      expect(await claim(a, 's3')).toBe(false);
      expect(await claim(b, 's1')).toBe(true); // its own claim renews
      expect(await b.claims('streams:x')).toBe(2);
      await a.unclaim('streams:x', 's2');
      expect(await b.claims('streams:x')).toBe(1);
      expect(await claim(b, 's3')).toBe(true);
      await sleep(200);
      await a.renewClaims('streams:x', ['s3', 's4'], 300); // s4: a claim the store had lost, made again
      await sleep(200); // s1's ttl has passed; s3 and s4 were renewed
      expect(await b.claims('streams:x')).toBe(2);
      expect(await claim(a, 's5')).toBe(false);
      await sleep(400); // nobody renews: every claim expires, nothing is left
      expect(await a.claims('streams:x')).toBe(0);
      expect(await claim(b, 's5')).toBe(true);
    });

    it('concurrent claims never pass the limit', async () => {
      const claims = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('streams:y', { member: `s${i}`, limit: 3, ttlMs: 5_000 }));
      expect((await Promise.all(claims)).filter(Boolean)).toHaveLength(3);
    });

    it('replace is compare-and-set, and every watcher on every handle hears each new version', async () => {
      const heard: Versioned[] = [];
      const stop = await b.watch('doc', (doc) => doc && heard.push(doc));
      expect(await a.read('doc')).toBeUndefined();
      const v1 = (await a.replace('doc', undefined, 'one'))!;
      expect(v1).toMatchObject({ version: 1, value: 'one' });
      expect(await b.replace('doc', undefined, 'lost')).toBeUndefined(); // it exists now
      const v2 = (await b.replace('doc', v1, 'two'))!;
      expect(v2).toEqual({ epoch: v1.epoch, version: 2, value: 'two' });
      expect(await a.replace('doc', v1, 'stale')).toBeUndefined();
      expect(await a.read('doc')).toEqual(v2);
      await expect.poll(() => heard.map((d) => d.value)).toEqual(['one', 'two']);
      stop();
      await a.replace('doc', v2, 'three');
      await sleep(50);
      expect(heard.map((d) => d.value)).toEqual(['one', 'two']);
    });

    it('is available', () => {
      expect(a.available && b.available).toBe(true);
    });
  });
}
