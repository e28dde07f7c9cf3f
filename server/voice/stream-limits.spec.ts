// WatchChannels streams are bounded per account (across replicas) and per replica, never
// outlive the session that opened them (in-process server, faked session check), and their
// counts come back to the truth after a killed replica or a Redis outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { MemoryStore } from '../store/memory.js';
import { RedisStore } from '../store/redis.js';
import { startTestRedis, type TestRedis } from '../store/testing-redis.js';
import { sharedState, STORE_KINDS, withFaults } from '../store/testing-stores.js';
import { StreamQuota } from './stream-quota.js';
import { ALICE, GOOD_TOKEN, startVoiceServer, watchStream } from './testing.js';

describe('StreamQuota', () => {
  it('refuses the stream past the per-account cap, and frees a place when one ends', async () => {
    const quota = new StreamQuota(new MemoryStore(), { perDid: 2, total: 10, claimTtlMs: 60_000 });
    const a1 = await quota.open('did:plc:a');
    await quota.open('did:plc:a');
    await expect(quota.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted, rawMessage: expect.stringMatching(/already has 2 live channel lists/) });
    await quota.open('did:plc:b'); // another account is not affected
    a1();
    a1(); // releasing twice gives back one place, not two
    await quota.open('did:plc:a');
    await expect(quota.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted });
  });

  it('refuses past the total, and a refused open holds nothing', async () => {
    const store = new MemoryStore();
    const quota = new StreamQuota(store, { perDid: 5, total: 3, claimTtlMs: 60_000 });
    const releases = [await quota.open('did:plc:a'), await quota.open('did:plc:b'), await quota.open('did:plc:c')];
    await expect(quota.open('did:plc:d')).rejects.toMatchObject({ code: Code.ResourceExhausted, rawMessage: expect.stringMatching(/at its limit/) });
    for (const release of releases) release();
    await new Promise((r) => setTimeout(r, 0));
    expect(quota.count).toBe(0);
    for (const did of ['a', 'b', 'c', 'd']) expect(await store.claims(`streams:did:did:plc:${did}`)).toBe(0); // nothing left from the refusal
  });

  it('the total is per replica: another replica on the same store has its own', async () => {
    const store = new MemoryStore();
    const one = new StreamQuota(store, { perDid: 5, total: 1, claimTtlMs: 60_000 });
    const two = new StreamQuota(store, { perDid: 5, total: 1, claimTtlMs: 60_000 });
    await one.open('did:plc:a');
    await expect(one.open('did:plc:b')).rejects.toMatchObject({ code: Code.ResourceExhausted, rawMessage: expect.stringMatching(/at its limit/) });
    await two.open('did:plc:b');
    one.close();
    two.close();
  });
});

// Counts that must come back to the truth whatever failed: a claim lives CLAIM_MS unless the
// heartbeat (every CLAIM_MS / 3) renews it.
const CLAIM_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORE_KINDS)('stream counts after failures (%s store)', (kind) => {
  it('a replica killed with open streams (its releases never sent): the account gets its places back within one claim lifetime', async () => {
    const state = sharedState(kind);
    try {
      const killed = new StreamQuota(await state.handle(), { perDid: 3, total: 100, claimTtlMs: CLAIM_MS });
      const survivor = new StreamQuota(await state.handle(), { perDid: 3, total: 100, claimTtlMs: CLAIM_MS });
      const live = await survivor.open('did:plc:a');
      for (let i = 0; i < 2; i++) await killed.open('did:plc:a');
      await expect(survivor.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted });
      killed.close(); // SIGKILL: no heartbeat any more, and no release will ever come
      const at = Date.now();
      const opens = async () => (await survivor.open('did:plc:a').then((release) => (release(), true), () => false));
      await expect.poll(opens, { timeout: 5_000, interval: 50 }).toBe(true);
      expect(Date.now() - at).toBeLessThan(CLAIM_MS + 500);
      // The survivor's own stream was kept alive by its heartbeat all along: two places, not three.
      await sleep(CLAIM_MS);
      const again = [await survivor.open('did:plc:a'), await survivor.open('did:plc:a')];
      await expect(survivor.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted });
      for (const release of [live, ...again]) release();
      survivor.close();
    } finally {
      await state.close();
    }
  });

  it('a store this replica cannot reach for longer than a claim lives (the data kept), a stream ending meanwhile: the truth within one heartbeat window', async () => {
    const state = sharedState(kind);
    try {
      const cut = withFaults(await state.handle(), ['add', 'claim', 'renewClaims', 'unclaim', 'claims']);
      const quota = new StreamQuota(cut.store, { perDid: 2, total: 100, claimTtlMs: CLAIM_MS });
      const stays = await quota.open('did:plc:a');
      const ends = await quota.open('did:plc:a');
      cut.failing = true;
      ends(); // e.g. its session expired during the outage: the release is lost
      await expect(quota.open('did:plc:a')).rejects.toMatchObject({ code: Code.Unavailable });
      await sleep(CLAIM_MS * 1.5);
      cut.failing = false;
      // The next heartbeat (every CLAIM_MS / 3) makes the live stream's claim again, and only that one.
      const back = Date.now();
      await expect.poll(() => cut.store.claims('streams:did:did:plc:a'), { timeout: 5_000, interval: 20 }).toBe(1);
      expect(Date.now() - back).toBeLessThan(CLAIM_MS);
      await quota.open('did:plc:a'); // one place is free, as the truth says
      await expect(quota.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted });
      stays();
      quota.close();
    } finally {
      await state.close();
    }
  });
});

describe('stream counts across a Redis outage', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a stream that ends while Redis is down (its release lost), Redis restarted empty: the count returns to the truth within one heartbeat window', async () => {
    const store = new RedisStore({ url: redis.url, prefix: 'outage:' });
    await store.connect();
    const quota = new StreamQuota(store, { perDid: 2, total: 100, claimTtlMs: CLAIM_MS });
    try {
      const stays = await quota.open('did:plc:a');
      const ends = await quota.open('did:plc:a');
      await redis.stop();
      ends(); // e.g. its session expired during the outage: the release cannot reach Redis
      await sleep(CLAIM_MS); // longer than a claim lives: heartbeats fail meanwhile
      await redis.start(); // no persistence: it comes back empty
      await expect.poll(() => store.available, { timeout: 10_000 }).toBe(true);
      // The next heartbeat (every CLAIM_MS / 3) makes the live stream's claim again, and only that one.
      const back = Date.now();
      await expect.poll(() => store.claims('streams:did:did:plc:a').catch(() => -1), { timeout: 5_000, interval: 20 }).toBe(1);
      expect(Date.now() - back).toBeLessThan(CLAIM_MS);
      await quota.open('did:plc:a'); // one place is free, as the truth says
      await expect(quota.open('did:plc:a')).rejects.toMatchObject({ code: Code.ResourceExhausted });
      stays();
    } finally {
      quota.close();
      await store.close();
    }
  });
});

describe('WatchChannels limits (in-process server)', () => {
  it('the stream past MICROCLIMATE_MAX_STREAMS_PER_DID gets RESOURCE_EXHAUSTED with a human message; the open ones keep working', async () => {
    const t = await startVoiceServer({ MICROCLIMATE_MAX_STREAMS_PER_DID: '3' });
    const open = [watchStream(t.client), watchStream(t.client), watchStream(t.client)];
    try {
      for (const s of open) expect((await s.next()).event.case).toBe('snapshot');
      const extra = watchStream(t.client);
      const refused = await extra.ended;
      expect(refused?.code).toBe(Code.ResourceExhausted);
      expect(refused?.rawMessage).toBe('this account already has 3 live channel lists open (tabs or devices); close one and try again');
      expect((await t.client.listChannels({}, { headers: { authorization: `Bearer ${GOOD_TOKEN}` } })).channels).toHaveLength(3);
      open[0]!.cancel();
      await open[0]!.ended;
      // The cancel reaches the server a moment later; then the place is free again.
      let again;
      for (let i = 0; i < 40; i++) {
        again = watchStream(t.client);
        const first = await Promise.race([again.next(1000).then((m) => m.event.case), again.ended]);
        if (first === 'snapshot') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(again!.received[0]?.event.case).toBe('snapshot');
      again!.cancel();
    } finally {
      for (const s of open) s.cancel();
      await t.server.close();
    }
  });

  it('ends a stream with UNAUTHENTICATED when the session that opened it expires', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const t = await startVoiceServer({}, {
      verifySession: async (token) => {
        if (token !== GOOD_TOKEN) throw new ConnectError('session token is not valid', Code.Unauthenticated);
        return { ...ALICE, expiresAt };
      },
    });
    const stream = watchStream(t.client);
    try {
      expect((await stream.next()).event.case).toBe('snapshot');
      const ended = await stream.ended;
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
      expect(ended?.code).toBe(Code.Unauthenticated);
      expect(ended?.rawMessage).toBe('your session expired; renew it and open the channel list again');
    } finally {
      stream.cancel();
      await t.server.close();
    }
  });
});
