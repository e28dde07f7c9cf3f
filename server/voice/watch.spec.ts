import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { DEFAULT_CHANNELS } from '../config.js';
import { ChannelOccupancy } from './occupancy.js';
import { ALICE, startVoiceServer, watchStream } from './testing.js';
import { watchChannels } from './watch.js';

const bob = { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_b' };

describe('WatchChannels stream (in-process server)', () => {
  it('starts with a snapshot, then changes in order, with heartbeats in between', async () => {
    const t = await startVoiceServer({}, { watch: { heartbeatMs: 150, queueLimit: 64 } });
    await t.server.occupancy.seat('lobby', bob);
    const stream = watchStream(t.client);
    try {
      const first = await stream.next();
      expect(first.event.case).toBe('snapshot');
      if (first.event.case !== 'snapshot') return;
      expect(first.event.value.channels.map((c) => c.participants.map((p) => p.did))).toEqual([[bob.did], [], []]);

      await t.server.occupancy.seat('lobby', { ...ALICE, muted: true, sid: 'PA_a' });
      await t.server.occupancy.setMuted('lobby', bob.did, bob.sid, true);
      await t.server.occupancy.unseat('lobby', bob.did, bob.sid);
      const changes = [];
      while (changes.length < 3) {
        const m = await stream.next();
        if (m.event.case !== 'heartbeat') changes.push(m.event);
      }
      expect(changes.map((e) => e.case)).toEqual(['joined', 'updated', 'left']);
      expect(changes[1]).toMatchObject({ value: { channelId: 'lobby', participant: { did: bob.did, muted: true } } });

      await new Promise((resolve) => setTimeout(resolve, 400));
      const beat = stream.received.find((m) => m.event.case === 'heartbeat');
      expect(beat?.event.case === 'heartbeat' && beat.event.value.sentAt?.seconds).toBeGreaterThan(0n);
    } finally {
      stream.cancel();
      await t.server.close();
    }
  });

  it('ends open streams when the server shuts down, so clients resume elsewhere', async () => {
    const t = await startVoiceServer();
    const stream = watchStream(t.client);
    expect((await stream.next()).event.case).toBe('snapshot');
    const started = Date.now();
    await t.server.close();
    const error = await stream.ended;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error?.code).toBe(Code.Unavailable);
  });
});

describe('a consumer that stops reading', () => {
  it('has its stream ended with UNAVAILABLE once it has read nothing for stallMs after its queue filled, and the queue is dropped', async () => {
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    const abort = new AbortController();
    const feed = watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 20, queueLimit: 5, stallMs: 100 });
    expect((await feed.next()).value?.event?.case).toBe('snapshot');

    for (let i = 0; i < 6; i++) occupancy.seat('lobby', { ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` });
    await new Promise((resolve) => setTimeout(resolve, 300)); // it reads nothing meanwhile
    await expect(feed.next()).rejects.toSatisfy((e) => e instanceof ConnectError && e.code === Code.Unavailable);
    // Unsubscribed: later changes reach no queue (the generator is finished).
    occupancy.seat('music', bob);
    expect(await feed.next()).toEqual({ done: true, value: undefined });
  });

  it('a burst larger than its queue (a crowd seated in one pass) gets a fresh snapshot instead of an ended stream', async () => {
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    const abort = new AbortController();
    const feed = watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 60_000, queueLimit: 5, stallMs: 60_000 });
    expect((await feed.next()).value?.event?.case).toBe('snapshot');

    // The reconciliation (or another replica's state) seats 300 people in one synchronous pass:
    // no consumer, however fast, reads between those events.
    const crowd = Array.from({ length: 300 }, (_, i) => ({ ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` }));
    occupancy.reconcile('lobby', crowd, occupancy.version('lobby'));
    const next = (await feed.next()).value;
    expect(next?.event?.case).toBe('snapshot');
    if (next?.event?.case !== 'snapshot') return;
    expect(next.event.value.channels?.[0]?.participants?.length).toBe(300);
    // And the stream goes on with changes after it.
    occupancy.seat('music', { ...bob, did: 'did:plc:late', sid: 'PA_late' });
    expect((await feed.next()).value?.event).toMatchObject({ case: 'joined', value: { channelId: 'music' } });
    abort.abort();
    await feed.next();
  });

  it('an open stream does not keep its first snapshot once it is sent (memory per stream must not grow with the crowd)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    for (let i = 0; i < 50; i++) occupancy.seat('lobby', { ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` });
    const abort = new AbortController();
    const feed = watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 60_000, queueLimit: 5 });
    let first: unknown = (await feed.next()).value;
    const sent = new WeakRef((first as { event: { value: { channels: object } } }).event.value.channels);
    first = undefined;
    const pending = feed.next(); // the stream lives on, waiting for changes
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(sent.deref()).toBeUndefined();
    abort.abort();
    await pending;
  });

  it('a client that goes away unsubscribes its stream', async () => {
    const occupancy = new ChannelOccupancy(['lobby']);
    const abort = new AbortController();
    const feed = watchChannels([{ id: 'lobby', name: 'Lobby' }], occupancy, abort.signal);
    await feed.next();
    const pending = feed.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
