import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBook } from '../identity/profile-book.js';
import { ChannelOccupancy } from './occupancy.js';
import { profiledOccupancy } from './profiled-occupancy.js';
import { ALICE, authed, startVoiceServer, watchStream } from './testing.js';

let name = 'Alice';
// Alice's PDS answers; everyone else's never does.
const profiles = new ProfileBook((did) =>
  did === ALICE.did ? Promise.resolve({ handle: 'alice-new.test', displayName: name, avatarUrl: 'https://img.example/alice.png' }) : new Promise(() => {}),
);
let t: Awaited<ReturnType<typeof startVoiceServer>>;
beforeAll(async () => {
  t = await startVoiceServer({}, { profiles });
});
afterAll(async () => {
  await t.server.close();
});

describe('participants with their profiles', () => {
  it('lists people with display name, avatar and current handle, and streams a changed name to open lists', async () => {
    await profiles.fresh(ALICE.did, 1000);
    await t.server.occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_alice' });

    const listed = await t.client.listChannels({}, authed);
    expect(listed.channels.find((c) => c.id === 'lobby')?.participants[0]).toMatchObject({
      did: ALICE.did,
      handle: 'alice-new.test',
      displayName: 'Alice',
      avatarUrl: 'https://img.example/alice.png',
    });

    const stream = watchStream(t.client);
    try {
      const first = await stream.next();
      expect(first.event.case).toBe('snapshot');
      name = 'Alice B.';
      await profiles.fresh(ALICE.did, 1000);
      const next = await stream.next();
      expect(next.event.case).toBe('updated');
      expect(next.event.case === 'updated' && next.event.value).toMatchObject({ channelId: 'lobby', participant: { did: ALICE.did, displayName: 'Alice B.' } });
    } finally {
      stream.cancel();
    }
  });

  it('someone whose profile is not known yet is listed at once, with the handle only', async () => {
    await t.server.occupancy.seat('music', { did: 'did:plc:nobody', handle: 'nobody.test', muted: true, sid: 'PA_nobody' });
    const listed = await t.client.listChannels({}, authed);
    expect(listed.channels.find((c) => c.id === 'music')?.participants[0]).toMatchObject({ did: 'did:plc:nobody', handle: 'nobody.test', displayName: '', avatarUrl: '' });
  });
});

describe('the profiled view in a crowd', () => {
  it('dresses a join with its profile once for all open lists: one subscription to the occupancy, one event object handed to every list', () => {
    const occupancy = new ChannelOccupancy(['lobby']);
    let subscriptions = 0;
    const subscribe = occupancy.subscribe.bind(occupancy);
    occupancy.subscribe = (listener) => {
      subscriptions++;
      return subscribe(listener);
    };
    const view = profiledOccupancy(occupancy, profiles);
    const seen: unknown[][] = [[], [], []];
    const stops = seen.map((list) => view.subscribe((e) => list.push(e)));
    occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_crowd' });
    expect(subscriptions).toBe(1);
    expect(seen[0]).toHaveLength(1);
    expect(seen[1]![0]).toBe(seen[0]![0]);
    expect(seen[2]![0]).toBe(seen[0]![0]);
    expect(seen[0]![0]).toMatchObject({ kind: 'joined', participant: { did: ALICE.did, displayName: expect.any(String) } });
    // The last list to go ends the view's subscription; the next one starts it again.
    for (const stop of stops) stop();
    occupancy.unseat('lobby', ALICE.did, 'PA_crowd');
    expect(seen[0]).toHaveLength(1);
    const again: unknown[] = [];
    const stop = view.subscribe((e) => again.push(e));
    occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_crowd2' });
    expect(subscriptions).toBe(2);
    expect(again).toHaveLength(1);
    stop();
  });
});
