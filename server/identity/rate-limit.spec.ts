import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory.js';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows limit requests per window per key, then refuses until the window ends', async () => {
    let t = 0;
    const rl = new RateLimiter({ store: new MemoryStore({ now: () => t }), name: 'spec', limit: 3, windowMs: 1000 });
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await rl.take('did:plc:a')).allowed);
    expect(first).toEqual([true, true, true, false]);
    expect((await rl.take('did:plc:b')).allowed).toBe(true); // keys are independent
    t = 400;
    expect(await rl.take('did:plc:a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 600 });
    t = 1000;
    expect(await rl.take('did:plc:a')).toEqual({ allowed: true, remaining: 2, retryAfterMs: 1000 });
  });

  it('limiters sharing a store keep separate budgets', async () => {
    const store = new MemoryStore();
    const a = new RateLimiter({ store, name: 'a', limit: 1, windowMs: 1000 });
    const b = new RateLimiter({ store, name: 'b', limit: 1, windowMs: 1000 });
    expect((await a.take('k')).allowed).toBe(true);
    expect((await b.take('k')).allowed).toBe(true);
    expect((await a.take('k')).allowed).toBe(false);
  });

  it('keeps memory bounded: under churn the store never grows past its bound', async () => {
    let t = 0;
    const store = new MemoryStore({ maxKeys: 100, now: () => t });
    const rl = new RateLimiter({ store, name: 'spec', limit: 1, windowMs: 1000 });
    await rl.take('live');
    t = 999;
    for (let i = 0; i < 10_000; i++) await rl.take(`10.0.${i >> 8}.${i & 255}`);
    expect(store.size).toBeLessThanOrEqual(100);
    t = 2500;
    for (let i = 0; i < 100; i++) await rl.take(`later-${i}`);
    expect(store.size).toBeLessThanOrEqual(100);
  });

  it('refuses nonsense settings', () => {
    const store = new MemoryStore();
    expect(() => new RateLimiter({ store, name: 'x', limit: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RateLimiter({ store, name: 'x', limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
