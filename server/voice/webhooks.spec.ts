import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrackSource, TrackType } from 'livekit-server-sdk';
import { sharedState, STORE_KINDS, withFaults } from '../store/testing-stores.js';
import { ALICE, authed, postWebhook, signWebhook, startVoiceServer, TEST_KEY, watchStream, webhookBody } from './testing.js';

let t: Awaited<ReturnType<typeof startVoiceServer>>;

beforeAll(async () => {
  t = await startVoiceServer();
});
afterAll(async () => {
  await t.server.close();
});
beforeEach(async () => {
  await t.server.occupancy.clear('lobby');
  await t.server.occupancy.clear('music');
});

const joined = (sid: string, extra: Record<string, unknown> = {}) =>
  webhookBody({
    event: 'participant_joined',
    room: { name: 'lobby' },
    participant: { sid, identity: ALICE.did, name: ALICE.handle, state: 1 },
    ...extra,
  });

async function post(body: string): Promise<number> {
  return postWebhook(t.server.webhookPort!, body, await signWebhook(body));
}

describe('LiveKit webhooks, correctly signed', () => {
  it('a join appears on an open WatchChannels stream and in ListChannels, a mic publish unmutes, a leave removes', async () => {
    const stream = watchStream(t.client);
    try {
      const first = await stream.next();
      expect(first.event.case).toBe('snapshot');

      expect(await post(joined('PA_a1'))).toBe(200);
      expect((await stream.next()).event).toEqual({
        case: 'joined',
        value: expect.objectContaining({ channelId: 'lobby', participant: expect.objectContaining({ ...ALICE, muted: true }) }),
      });
      const listed = await t.client.listChannels({}, authed);
      expect(listed.channels[0]!.participants.map((p) => p.handle)).toEqual(['alice.test']);

      const track = { sid: 'TR_1', type: TrackType.AUDIO, source: TrackSource.MICROPHONE, muted: false };
      const published = webhookBody({
        event: 'track_published',
        room: { name: 'lobby' },
        participant: { sid: 'PA_a1', identity: ALICE.did, name: ALICE.handle, state: 2 },
        track,
      });
      expect(await post(published)).toBe(200);
      expect((await stream.next()).event).toEqual({
        case: 'updated',
        value: expect.objectContaining({ channelId: 'lobby', participant: expect.objectContaining({ did: ALICE.did, muted: false }) }),
      });

      // As LiveKit sends it: the participant in state DISCONNECTED.
      const left = webhookBody({ event: 'participant_left', room: { name: 'lobby' }, participant: { sid: 'PA_a1', identity: ALICE.did, name: ALICE.handle, state: 3 } });
      expect(await post(left)).toBe(200);
      expect((await stream.next()).event).toEqual({ case: 'left', value: expect.objectContaining({ channelId: 'lobby', did: ALICE.did }) });
      expect(t.server.occupancy.count('lobby')).toBe(0);
    } finally {
      stream.cancel();
    }
  });

  it('a replayed event (same id) is applied once', async () => {
    const body = joined('PA_a2');
    expect(await post(body)).toBe(200);
    await t.server.occupancy.unseat('lobby', ALICE.did, 'PA_a2');
    expect(await post(body)).toBe(200);
    expect(t.server.occupancy.count('lobby')).toBe(0);
  });

  it('ignores rooms that are not channels and identities that are not DIDs', async () => {
    expect(await post(joined('PA_x1', { room: { name: 'someone-elses-room' } }))).toBe(200);
    const agent = webhookBody({ event: 'participant_joined', room: { name: 'lobby' }, participant: { sid: 'PA_x2', identity: 'agent-7', name: 'bot' } });
    expect(await post(agent)).toBe(200);
    expect(t.server.occupancy.empty).toBe(true);
  });

  it('room_finished empties the channel', async () => {
    expect(await post(joined('PA_a3'))).toBe(200);
    expect(t.server.occupancy.count('lobby')).toBe(1);
    expect(await post(webhookBody({ event: 'room_finished', room: { name: 'lobby' } }))).toBe(200);
    expect(t.server.occupancy.count('lobby')).toBe(0);
  });
});

describe('LiveKit webhooks that are not genuine are refused with 401 and change nothing', () => {
  it.each([
    ['unsigned', async (body: string) => undefined],
    ['signed with another key', async (body: string) => signWebhook(body, TEST_KEY, 'another-secret-of-enough-length-0123456789abcdef')],
    ['signed under another key name', async (body: string) => signWebhook(body, 'other-key')],
    ['a body changed after signing', async (body: string) => signWebhook(body.replace('PA_', 'PB_'))],
    ['a bearer-less garbage header', async () => 'not-a-jwt'],
  ])('%s', async (_name, authorize) => {
    const stream = watchStream(t.client);
    try {
      await stream.next(); // snapshot
      const body = joined('PA_forged');
      expect(await postWebhook(t.server.webhookPort!, body, await authorize(body))).toBe(401);
      expect(t.server.occupancy.empty).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stream.received.filter((m) => m.event.case !== 'heartbeat').map((m) => m.event.case)).toEqual(['snapshot']); // nothing after it
    } finally {
      stream.cancel();
    }
  });

  it('logs the refusal without the token', () => {
    const refusals = t.lines.filter((l) => l.includes('webhook_refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    expect(refusals.join('\n')).not.toMatch(/eyJ/); // no JWT in the log
  });
});

describe('webhook listener HTTP', () => {
  it('answers only POST /livekit/webhook and caps the body', async () => {
    const port = t.server.webhookPort!;
    expect(await postWebhook(port, '{}', undefined, '/other')).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/livekit/webhook`)).status).toBe(405);
    const big = 'x'.repeat(200 * 1024);
    expect(await postWebhook(port, big, await signWebhook(big))).toBe(413);
    expect(t.server.occupancy.empty).toBe(true);
  });
});

describe.each(STORE_KINDS)('a webhook whose occupancy write fails (%s store)', (kind) => {
  it('answers 503 and forgets the event id, so LiveKit\'s retry is applied; the replica lives on', async () => {
    const state = sharedState(kind);
    const faulty = withFaults(await state.handle(), ['read', 'replace']); // the occupancy's writes
    const r = await startVoiceServer({}, { store: faulty.store });
    const send = async (body: string) => postWebhook(r.server.webhookPort!, body, await signWebhook(body));
    try {
      expect(await send(joined('PA_f1'))).toBe(200);
      // The mute change LiveKit reports when her microphone is published.
      const published = webhookBody({
        event: 'track_published',
        room: { name: 'lobby' },
        participant: { sid: 'PA_f1', identity: ALICE.did, name: ALICE.handle, state: 2 },
        track: { sid: 'TR_f1', type: TrackType.AUDIO, source: TrackSource.MICROPHONE, muted: false },
      });
      faulty.failing = true;
      expect(await send(published)).toBe(503);
      expect(r.lines.some((l) => l.includes('"webhook_not_applied"'))).toBe(true);
      faulty.failing = false;
      expect(await send(published)).toBe(200); // LiveKit's retry: applied, not "already applied"
      expect(r.server.occupancy.participants('lobby')).toEqual([expect.objectContaining({ did: ALICE.did, muted: false })]);
    } finally {
      await r.server.close();
      await state.close();
    }
  });
});
