import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows limit requests per window per key, then refuses until the window ends', () => {
    let t = 0;
    const rl = new RateLimiter({ limit: 3, windowMs: 1000, now: () => t });
    expect([1, 2, 3, 4].map(() => rl.take('did:plc:a').allowed)).toEqual([true, true, true, false]);
    expect(rl.take('did:plc:b').allowed).toBe(true); // keys are independent
    t = 400;
    expect(rl.take('did:plc:a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 600 });
    t = 1000;
    expect(rl.take('did:plc:a')).toEqual({ allowed: true, remaining: 2, retryAfterMs: 1000 });
  });

  it('keeps memory bounded, dropping expired windows first', () => {
    let t = 0;
    const rl = new RateLimiter({ limit: 1, windowMs: 1000, maxKeys: 100, now: () => t });
    for (let i = 0; i < 10_000; i++) rl.take(`10.0.${i >> 8}.${i & 255}`);
    expect(rl.size).toBeLessThanOrEqual(100);
    rl.take('live');
    t = 999;
    for (let i = 0; i < 50; i++) rl.take(`new-${i}`);
    expect(rl.take('live').allowed).toBe(false); // a recent, live window survived the churn
    t = 2500;
    for (let i = 0; i < 100; i++) rl.take(`later-${i}`);
    expect(rl.size).toBeLessThanOrEqual(100);
  });

  it('refuses nonsense settings', () => {
    expect(() => new RateLimiter({ limit: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
