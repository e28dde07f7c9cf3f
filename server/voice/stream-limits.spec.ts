// WatchChannels streams are bounded per account and in total, and never outlive the session
// that opened them (in-process server, faked session check).
import { describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { MemoryStore } from '../store/memory.js';
import { StreamQuota } from './stream-quota.js';
import { ALICE, GOOD_TOKEN, startVoiceServer, watchStream } from './testing.js';

describe('StreamQuota', () => {
  it('refuses the stream past the per-account cap, and frees a place when one ends', async () => {
    const quota = new StreamQuota(new MemoryStore(), { perDid: 2, total: 10, ttlMs: 60_000 });
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
    const quota = new StreamQuota(store, { perDid: 5, total: 3, ttlMs: 60_000 });
    const releases = [await quota.open('did:plc:a'), await quota.open('did:plc:b'), await quota.open('did:plc:c')];
    await expect(quota.open('did:plc:d')).rejects.toMatchObject({ code: Code.ResourceExhausted, rawMessage: expect.stringMatching(/at its limit/) });
    for (const release of releases) release();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.size).toBe(0); // every gauge back at zero, nothing left from the refusal
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
