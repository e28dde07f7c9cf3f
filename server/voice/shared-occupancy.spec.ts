// Two API replicas in one process on one store: a webhook that reaches either replica shows
// on both replicas' WatchChannels streams, and only one of them runs the reconciliation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreLease } from '../store/lease.js';
import { sharedState, STORE_KINDS, type SharedState } from '../store/testing-stores.js';
import { ALICE, postWebhook, signWebhook, startVoiceServer, watchStream, webhookBody } from './testing.js';

type Replica = Awaited<ReturnType<typeof startVoiceServer>>;

describe.each(STORE_KINDS)('presence across two replicas (%s store)', (kind) => {
  let state: SharedState;
  let one: Replica;
  let two: Replica;
  beforeAll(async () => {
    state = sharedState(kind);
    one = await startVoiceServer({}, { store: await state.handle() });
    two = await startVoiceServer({}, { store: await state.handle() });
  });
  afterAll(async () => {
    await Promise.all([one.server.close(), two.server.close()]);
    await state.close();
  });

  const post = async (replica: Replica, body: string) => postWebhook(replica.server.webhookPort!, body, await signWebhook(body));
  const event = (name: string, sid: string, room = 'lobby') =>
    webhookBody({ event: name, room: { name: room }, participant: { sid, identity: ALICE.did, name: ALICE.handle, state: name === 'participant_left' ? 3 : 1 } });

  it('a join reported to replica two reaches the streams on replica one, and the leave too', async () => {
    const watcher = watchStream(one.client);
    try {
      expect((await watcher.next()).event.case).toBe('snapshot');
      expect(await post(two, event('participant_joined', 'PA_r1'))).toBe(200);
      expect((await watcher.next()).event).toEqual({
        case: 'joined',
        value: expect.objectContaining({ channelId: 'lobby', participant: expect.objectContaining({ did: ALICE.did }) }),
      });
      expect((await one.client.listChannels({}, { headers: { authorization: 'Bearer good.session.token' } })).channels[0]!.participants).toHaveLength(1);
      expect(await post(one, event('participant_left', 'PA_r1'))).toBe(200);
      expect((await watcher.next()).event).toEqual({ case: 'left', value: expect.objectContaining({ channelId: 'lobby', did: ALICE.did }) });
      await expect.poll(() => two.server.occupancy.count('lobby')).toBe(0);
    } finally {
      watcher.cancel();
    }
  });

  it('a webhook replayed to the other replica is applied once', async () => {
    const joined = event('participant_joined', 'PA_r2', 'music');
    expect(await post(one, joined)).toBe(200);
    await expect.poll(() => two.server.occupancy.count('music')).toBe(1);
    await two.server.occupancy.unseat('music', ALICE.did, 'PA_r2');
    expect(await post(two, joined)).toBe(200); // the same event id: dropped
    await expect.poll(() => one.server.occupancy.count('music')).toBe(0);
    expect(two.server.occupancy.count('music')).toBe(0);
  });

  it('concurrent changes on both replicas all land (compare-and-set, no lost update)', async () => {
    const people = Array.from({ length: 6 }, (_, i) => ({ did: `did:plc:p${i}`, handle: `p${i}.test`, muted: true, sid: `PA_c${i}` }));
    await Promise.all(people.map((p, i) => (i % 2 ? one : two).server.occupancy.seat('quiet-room', p)));
    for (const replica of [one, two]) {
      await expect.poll(() => replica.server.occupancy.participants('quiet-room').map((p) => p.did).sort()).toEqual(people.map((p) => p.did).sort());
    }
    await one.server.occupancy.clear('quiet-room');
    await expect.poll(() => two.server.occupancy.count('quiet-room')).toBe(0);
  });

  it('one replica holds the reconciliation lease; when it lets go, the other takes over', async () => {
    const log = () => undefined;
    const a = new StoreLease({ store: await state.handle(), key: 'lease:spec', holder: 'replica-a', ttlMs: 300, log });
    const b = new StoreLease({ store: await state.handle(), key: 'lease:spec', holder: 'replica-b', ttlMs: 300, log });
    a.start();
    await expect.poll(() => a.held).toBe(true);
    b.start();
    await new Promise((resolve) => setTimeout(resolve, 400)); // a renews past its ttl: b never gets it
    expect([a.held, b.held]).toEqual([true, false]);
    await a.stop();
    await expect.poll(() => b.held, { timeout: 2000 }).toBe(true);
    await b.stop();
  });
});

describe.each(STORE_KINDS)('a rolling change of MICROCLIMATE_CHANNELS (%s store)', (kind) => {
  let state: SharedState;
  let old: Replica;
  let updated: Replica;
  beforeAll(async () => {
    state = sharedState(kind);
    // The replica not yet updated knows the default channels; the updated one adds "studio".
    old = await startVoiceServer({}, { store: await state.handle() });
    const channels = [{ id: 'lobby', name: 'Lobby' }, { id: 'music', name: 'Music' }, { id: 'studio', name: 'Studio' }];
    updated = await startVoiceServer({ MICROCLIMATE_CHANNELS: JSON.stringify(channels) }, { store: await state.handle() });
  });
  afterAll(async () => {
    await Promise.all([old.server.close(), updated.server.close()]);
    await state.close();
  });

  const post = async (replica: Replica, body: string) => postWebhook(replica.server.webhookPort!, body, await signWebhook(body));
  const joined = (sid: string, room: string, who: { did: string; handle: string }) =>
    webhookBody({ event: 'participant_joined', room: { name: room }, participant: { sid, identity: who.did, name: who.handle, state: 1 } });
  const BOB = { did: 'did:plc:bob', handle: 'bob.test' };

  it('people in the new channel stay listed while the old replica writes the channels it knows', async () => {
    const watcher = watchStream(updated.client);
    try {
      expect((await watcher.next()).event.case).toBe('snapshot');
      expect(await post(updated, joined('PA_s1', 'studio', ALICE))).toBe(200);
      expect(updated.server.occupancy.count('studio')).toBe(1);
      // Changes the old replica makes: Bob joins the lobby, and it reconciles "quiet-room".
      expect(await post(old, joined('PA_b1', 'lobby', BOB))).toBe(200);
      await old.server.occupancy.clear('quiet-room');
      await old.server.occupancy.reconcile('music', [], old.server.occupancy.version('music'));
      // The updated replica has taken the old one's writes in, and Alice is still in Studio.
      await expect.poll(() => updated.server.occupancy.count('lobby')).toBe(1);
      expect(updated.server.occupancy.participants('studio')).toEqual([expect.objectContaining({ did: ALICE.did })]);
      const listed = await updated.client.listChannels({}, { headers: { authorization: 'Bearer good.session.token' } });
      expect(listed.channels.find((c) => c.id === 'studio')?.participants.map((p) => p.did)).toEqual([ALICE.did]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(watcher.received.some((m) => m.event.case === 'left')).toBe(false); // nobody was shown leaving
    } finally {
      watcher.cancel();
    }
  });
});
