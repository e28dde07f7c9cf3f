import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBook } from '../identity/profile-book.js';
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
