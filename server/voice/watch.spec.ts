import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import type { WatchChannelsResponse } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import { DEFAULT_CHANNELS } from '../config.js';
import { ChannelOccupancy } from './occupancy.js';
import { ALICE, startVoiceServer, watchStream } from './testing.js';
import { watchChannels } from './watch.js';

const bob = { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_b' };

/** The generator's next message that is not a heartbeat (one follows each snapshot). */
async function nextEvent<T extends { event?: { case?: string } }>(feed: AsyncGenerator<T>): Promise<IteratorResult<T, void>> {
  for (;;) {
    const r = await feed.next();
    if (r.done || r.value.event?.case !== 'heartbeat') return r;
  }
}

describe('WatchChannels stream (in-process server)', () => {
  it('starts with a snapshot, then changes in order, with heartbeats in between', async () => {
    const t = await startVoiceServer({}, { watch: { heartbeatMs: 150, queueLimit: 64 } });
    await t.server.occupancy.seat('lobby', bob);
    const stream = watchStream(t.client);
    try {
      const first = await stream.next();
      expect(first.event.case).toBe('snapshot');
      // A heartbeat follows every snapshot, so that Connect lets go of the snapshot's bytes.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stream.received[1]?.event.case).toBe('heartbeat');
      if (first.event.case !== 'snapshot') return;
      expect(first.event.value.channels.map((c) => c.participants.map((p) => p.did))).toEqual([[bob.did], [], []]);

      await t.server.occupancy.seat('lobby', { ...ALICE, muted: true, sid: 'PA_a' });
      await t.server.occupancy.setMuted('lobby', bob.did, bob.sid, true);
      await t.server.occupancy.unseat('lobby', bob.did, bob.sid);
      const changes = [];
      while (changes.length < 3) changes.push((await stream.next()).event); // next() passes over heartbeats
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

  it('a crowd opening its lists at once over one proxy connection gets every snapshot: none of the streams is reset', async () => {
    // 1,000 people seated (a snapshot of ~60 KB) and 400 lists opened together on one HTTP/2
    // session, as Envoy carries them. Through Envoy (the crowd bench, 2,000 lists) Node reset
    // the streams once the session's queue passed its 10 MB default; in one process the client
    // reads as fast as the server writes and that queue never builds, so this checks the turns
    // hand every stream its snapshot, not the reset itself (bench/crowd/crowd.ts does).
    const t = await startVoiceServer({ MICROCLIMATE_MAX_STREAMS_PER_DID: '1000', MICROCLIMATE_MAX_STREAMS: '1000' });
    const streams: ReturnType<typeof watchStream>[] = [];
    try {
      for (let i = 0; i < 1000; i++) await t.server.occupancy.seat(`lobby`, { did: `did:plc:crowd${i}`, handle: `crowd${i}.test`, muted: true, sid: `PA_crowd${i}` });
      for (let i = 0; i < 400; i++) streams.push(watchStream(t.client));
      // A stream that ended says why (the reset's code), not only that no message came.
      const firsts = await Promise.all(streams.map((s) => s.next(20_000).catch(async (e: unknown) => Promise.reject((await Promise.race([s.ended, undefined])) ?? e))));
      expect(firsts.filter((m) => m.event.case === 'snapshot')).toHaveLength(400);
      const first = firsts[0]!.event;
      expect(first.case === 'snapshot' && first.value.channels.find((c) => c.id === 'lobby')?.participants).toHaveLength(1000);
    } finally {
      for (const s of streams) s.cancel();
      await t.server.close();
    }
  }, 30_000);

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
    expect((await nextEvent(feed)).value?.event?.case).toBe('snapshot');

    for (let i = 0; i < 6; i++) occupancy.seat('lobby', { ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` });
    await new Promise((resolve) => setTimeout(resolve, 300)); // it reads nothing meanwhile
    await expect(nextEvent(feed)).rejects.toSatisfy((e) => e instanceof ConnectError && e.code === Code.Unavailable);
    // Unsubscribed: later changes reach no queue (the generator is finished).
    occupancy.seat('music', bob);
    expect(await nextEvent(feed)).toEqual({ done: true, value: undefined });
  });

  it('a burst larger than its queue (a crowd seated in one pass) gets a fresh snapshot instead of an ended stream', async () => {
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    const abort = new AbortController();
    const feed = watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 60_000, queueLimit: 5, stallMs: 60_000 });
    expect((await nextEvent(feed)).value?.event?.case).toBe('snapshot');

    // The reconciliation (or another replica's state) seats 300 people in one synchronous pass:
    // no consumer, however fast, reads between those events.
    const crowd = Array.from({ length: 300 }, (_, i) => ({ ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` }));
    occupancy.reconcile('lobby', crowd, occupancy.version('lobby'));
    const next = (await nextEvent(feed)).value;
    expect(next?.event?.case).toBe('snapshot');
    if (next?.event?.case !== 'snapshot') return;
    expect(next.event.value.channels?.[0]?.participants?.length).toBe(300);
    // And the stream goes on with changes after it.
    occupancy.seat('music', { ...bob, did: 'did:plc:late', sid: 'PA_late' });
    expect((await nextEvent(feed)).value?.event).toMatchObject({ case: 'joined', value: { channelId: 'music' } });
    abort.abort();
    await feed.next();
  });

  it('an open stream does not keep its first snapshot once it is sent and the occupancy changed (memory per stream must not grow with the crowd)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    for (let i = 0; i < 50; i++) occupancy.seat('lobby', { ...bob, did: `did:plc:p${i}`, sid: `PA_${i}` });
    const abort = new AbortController();
    const feed = watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 60_000, queueLimit: 5 });
    let first: unknown = (await nextEvent(feed)).value;
    const sent = new WeakRef((first as { event: { value: { channels: object } } }).event.value.channels);
    first = undefined;
    occupancy.seat('music', { ...bob, did: 'did:plc:later', sid: 'PA_later' }); // the shared snapshot is now stale
    expect((await nextEvent(feed)).value?.event).toMatchObject({ case: 'joined', value: { channelId: 'music' } });
    const pending = feed.next(); // the stream lives on, waiting for changes
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(sent.deref()).toBeUndefined();
    abort.abort();
    await pending;
  });

  it('streams opened while nothing changed share one snapshot message (not one copy of everyone per stream); a change gives the next a fresh one', async () => {
    const occupancy = new ChannelOccupancy(DEFAULT_CHANNELS.map((c) => c.id));
    for (let i = 0; i < 20; i++) occupancy.seat('lobby', { ...bob, did: `did:plc:s${i}`, sid: `PS_${i}` });
    const abort = new AbortController();
    const open = () => watchChannels(DEFAULT_CHANNELS, occupancy, abort.signal, { heartbeatMs: 60_000, queueLimit: 5 });
    const [a, b] = [open(), open()];
    const [snapA, snapB] = [(await nextEvent(a)).value, (await nextEvent(b)).value];
    expect(snapA).toBe(snapB);
    occupancy.unseat('lobby', 'did:plc:s0', 'PS_0');
    const [leftA, leftB] = [(await nextEvent(a)).value, (await nextEvent(b)).value];
    expect(leftA).toBe(leftB); // one message for the change too
    expect(leftA?.event).toMatchObject({ case: 'left', value: { did: 'did:plc:s0' } });
    const c = open();
    const snapC = (await nextEvent(c)).value;
    expect(snapC).not.toBe(snapA);
    const lobby = (m: unknown) => {
      const e = (m as WatchChannelsResponse).event;
      return e.case === 'snapshot' ? e.value.channels.find((ch) => ch.id === 'lobby')?.participants.map((p) => p.did) : undefined;
    };
    expect(lobby(snapA)).toHaveLength(20);
    expect(lobby(snapC)).toEqual(Array.from({ length: 19 }, (_, i) => `did:plc:s${i + 1}`));
    abort.abort();
    await Promise.all([a.next(), b.next(), c.next()]);
  });

  it('a client that goes away unsubscribes its stream', async () => {
    const occupancy = new ChannelOccupancy(['lobby']);
    const abort = new AbortController();
    const feed = watchChannels([{ id: 'lobby', name: 'Lobby' }], occupancy, abort.signal);
    await nextEvent(feed); // the snapshot
    await feed.next(); // the heartbeat after it
    const pending = feed.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
