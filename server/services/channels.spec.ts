import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { TokenVerifier, TrackSource } from 'livekit-server-sdk';
import { ServerLimitsSchema } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelSchema } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import { ALICE, authed, startVoiceServer, TEST_KEY, TEST_SECRET } from '../voice/testing.js';

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

let t: Awaited<ReturnType<typeof startVoiceServer>>;
beforeAll(async () => {
  t = await startVoiceServer({
    MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS: '120',
    MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL: '2',
    MICROCLIMATE_CHANNELS: JSON.stringify([
      { id: 'lobby', name: 'Lobby' },
      { id: 'music', name: 'Music', max: 3 },
      { id: 'quiet-room', name: 'Quiet room' },
    ]),
  });
});
afterAll(async () => {
  await t.server.close();
});

describe('GetChannelToken', () => {
  it('gives a token for that room only, as the caller: identity = DID, name = handle, microphone only, short-lived', async () => {
    const before = Date.now();
    const res = await t.client.getChannelToken({ channelId: 'music' }, authed);
    expect(res.livekitUrl).toBe('ws://127.0.0.1:9');
    expect(res.room).toBe('music');

    const claims = await new TokenVerifier(TEST_KEY, TEST_SECRET).verify(res.token);
    expect(claims.sub).toBe(ALICE.did);
    expect(claims.name).toBe(ALICE.handle);
    expect(claims.video).toEqual({
      roomJoin: true,
      room: 'music',
      canPublish: true,
      canPublishSources: ['microphone'],
      canSubscribe: true,
      canPublishData: true, // the sealed key envelopes of encrypted calls
      canUpdateOwnMetadata: false,
    });
    expect(claims.attributes).toBeUndefined(); // no public key in the request: none in the token
    expect(claims.video?.roomAdmin).toBeUndefined();
    expect(claims.video?.roomCreate).toBeUndefined();
    expect(claims.exp! - claims.nbf!).toBe(120);
    expect(timestampMs(res.expiresAt!)).toBe(claims.exp! * 1000);
    expect(timestampMs(res.expiresAt!)).toBeLessThanOrEqual(before + 121_000);
  });

  it('refuses an unknown channel with NOT_FOUND and a human message', async () => {
    expect(await codeOf(t.client.getChannelToken({ channelId: 'nowhere' }, authed))).toEqual({
      code: Code.NotFound,
      message: 'there is no channel "nowhere" on this server',
    });
    // Input that is not a plausible id is not echoed back.
    const odd = await codeOf(t.client.getChannelToken({ channelId: '<script>' }, authed));
    expect(odd).toEqual({ code: Code.NotFound, message: 'there is no channel on this server' });
  });

  it('refuses a caller without a session (UNAUTHENTICATED)', async () => {
    expect((await codeOf(t.client.getChannelToken({ channelId: 'lobby' }))).code).toBe(Code.Unauthenticated);
    const bad = { headers: { authorization: 'Bearer forged.session.token' } };
    expect((await codeOf(t.client.getChannelToken({ channelId: 'lobby' }, bad))).code).toBe(Code.Unauthenticated);
  });

  it('refuses a full channel with RESOURCE_EXHAUSTED, except to someone already in it', async () => {
    const occupancy = t.server.occupancy;
    await occupancy.seat('quiet-room', { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_b' });
    await occupancy.seat('quiet-room', { did: 'did:plc:carol', handle: 'carol.test', muted: false, sid: 'PA_c' });
    const full = await codeOf(t.client.getChannelToken({ channelId: 'quiet-room' }, authed));
    expect(full).toEqual({ code: Code.ResourceExhausted, message: '"Quiet room" is full (2 people)' });
    // Told apart from a rate limit (also RESOURCE_EXHAUSTED) by its details: the channel that
    // refused and the limit it hit, so the app can say "Quiet room is full — 2 people".
    const refusal = await t.client.getChannelToken({ channelId: 'quiet-room' }, authed).catch((e: unknown) => ConnectError.from(e));
    expect(refusal instanceof ConnectError && refusal.findDetails(ChannelSchema)).toMatchObject([{ id: 'quiet-room', name: 'Quiet room' }]);
    expect(refusal instanceof ConnectError && refusal.findDetails(ServerLimitsSchema)).toMatchObject([{ maxParticipantsPerChannel: 2 }]);

    await occupancy.unseat('quiet-room', 'did:plc:carol', 'PA_c');
    await occupancy.seat('quiet-room', { ...ALICE, muted: true, sid: 'PA_a' });
    const res = await t.client.getChannelToken({ channelId: 'quiet-room' }, authed); // a reconnect of alice
    const claims = await new TokenVerifier(TEST_KEY, TEST_SECRET).verify(res.token);
    // LiveKit enforces the cap too when this join creates the room.
    expect(claims.roomConfig).toMatchObject({ maxParticipants: 2 });
    await occupancy.clear('quiet-room');
  });

  it("a channel's own max replaces the server's: Music holds 3 where the others hold 2", async () => {
    const occupancy = t.server.occupancy;
    await occupancy.seat('music', { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_b' });
    await occupancy.seat('music', { did: 'did:plc:carol', handle: 'carol.test', muted: false, sid: 'PA_c' });
    // Two inside fill any other channel here; Music lets a third in, and LiveKit is told 3.
    const res = await t.client.getChannelToken({ channelId: 'music' }, authed);
    const claims = await new TokenVerifier(TEST_KEY, TEST_SECRET).verify(res.token);
    expect(claims.roomConfig).toMatchObject({ maxParticipants: 3 });
    // The list says what each holds, so a client marks Music full at 3, not at the server's 2.
    const { channels } = await t.client.listChannels({}, authed);
    expect(Object.fromEntries(channels.map((c) => [c.id, c.maxParticipants]))).toEqual({ lobby: 2, music: 3, 'quiet-room': 2 });
    await occupancy.clear('music');
  });

  it('an automatic rejoin never takes the call from another device (ALREADY_EXISTS, no call ended); its own lost session does not stop it', async () => {
    const occupancy = t.server.occupancy;
    const laptopLost = { rejoin: { lostSession: 'PA_laptop' } };
    const refused = { code: Code.AlreadyExists, message: 'you are in a call on another device: an automatic rejoin does not take it over' };
    try {
      // The phone took the call in the same channel while the laptop was offline.
      await occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_phone' });
      expect(await codeOf(t.client.getChannelToken({ channelId: 'lobby', ...laptopLost }, authed))).toEqual(refused);
      // …or joined another channel: still refused, and that call is not ended for it.
      await occupancy.seat('music', { ...ALICE, muted: false, sid: 'PA_phone2' });
      const linesBefore = t.lines.length;
      expect(await codeOf(t.client.getChannelToken({ channelId: 'lobby', ...laptopLost }, authed))).toEqual(refused);
      expect(await codeOf(t.client.getChannelToken({ channelId: 'lobby', rejoin: { lostSession: '' } }, authed))).toEqual(refused);
      expect(t.lines.slice(linesBefore).filter((l) => l.includes('one_call_removal_failed'))).toEqual([]);
      // A join the person asked for ("Join here") still takes it over: it tries to end the phone's call.
      await t.client.getChannelToken({ channelId: 'lobby' }, authed);
      await vi.waitFor(() => expect(t.lines.slice(linesBefore).some((l) => l.includes('one_call_removal_failed') && l.includes('music'))).toBe(true));
      await occupancy.clear('music');

      // The laptop's own lost session, still listed until LiveKit notices it left: a token.
      await occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_laptop' });
      expect((await t.client.getChannelToken({ channelId: 'lobby', ...laptopLost }, authed)).token).not.toBe('');
      // In no call at all: a token.
      await occupancy.clear('lobby');
      expect((await t.client.getChannelToken({ channelId: 'lobby', rejoin: { lostSession: '' } }, authed)).token).not.toBe('');
    } finally {
      await occupancy.clear('lobby');
      await occupancy.clear('music');
    }
  });

  it("seals the device's public key into the token's participant attributes; refuses one that is not a P-256 point", async () => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const res = await t.client.getChannelToken({ channelId: 'music', publicKey }, authed);
    const claims = await new TokenVerifier(TEST_KEY, TEST_SECRET).verify(res.token);
    expect(claims.attributes).toEqual({ 'e2ee.pk': Buffer.from(publicKey).toString('base64url') });

    const short = await codeOf(t.client.getChannelToken({ channelId: 'music', publicKey: publicKey.slice(0, 33) }, authed));
    expect(short).toEqual({ code: Code.InvalidArgument, message: 'public_key must be an uncompressed P-256 point (65 bytes starting 0x04); got 33 bytes' });
    const offCurve = publicKey.slice();
    offCurve[64] = offCurve[64]! ^ 1; // y no longer matches x
    expect(await codeOf(t.client.getChannelToken({ channelId: 'music', publicKey: offCurve }, authed))).toEqual({
      code: Code.InvalidArgument,
      message: 'public_key is not a point on the P-256 curve',
    });
    // A refused key ends no call elsewhere: it is checked before the join has any effect.
    const linesBefore = t.lines.length;
    await t.server.occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_other' });
    try {
      await codeOf(t.client.getChannelToken({ channelId: 'music', publicKey: offCurve }, authed));
      await new Promise((r) => setTimeout(r, 300)); // a removal's failure is logged after its retry
      expect(t.lines.slice(linesBefore).filter((l) => l.includes('one_call') && l.includes('lobby'))).toEqual([]);
    } finally {
      await t.server.occupancy.clear('lobby');
    }
  });

  it('refuses with FAILED_PRECONDITION when the server has no LiveKit', async () => {
    const bare = await startVoiceServer({ MICROCLIMATE_LIVEKIT_URL: '', MICROCLIMATE_LIVEKIT_API_KEY: '', MICROCLIMATE_LIVEKIT_API_SECRET: '' });
    try {
      expect(bare.server.webhookPort).toBeUndefined();
      expect((await codeOf(bare.client.getChannelToken({ channelId: 'lobby' }, authed))).code).toBe(Code.FailedPrecondition);
    } finally {
      await bare.server.close();
    }
  });
});

describe('ListChannels', () => {
  it('returns every channel in display order with its people in join order', async () => {
    const occupancy = t.server.occupancy;
    await occupancy.seat('lobby', { did: 'did:plc:bob', handle: 'bob.test', muted: true, sid: 'PA_l1' });
    await occupancy.seat('lobby', { ...ALICE, muted: false, sid: 'PA_l2' });
    try {
      const res = await t.client.listChannels({}, authed);
      expect(res.channels.map((c) => [c.id, c.name])).toEqual([
        ['lobby', 'Lobby'],
        ['music', 'Music'],
        ['quiet-room', 'Quiet room'],
      ]);
      // Calls are end-to-end encrypted unless the operator turned it off for a channel.
      expect(res.channels.map((c) => c.e2ee)).toEqual([true, true, true]);
      expect(res.channels[0]!.participants.map((p) => [p.handle, p.muted])).toEqual([
        ['bob.test', true],
        ['alice.test', false],
      ]);
    } finally {
      await occupancy.clear('lobby');
    }
  });
});

describe('ListChannels with a channel that is not encrypted', () => {
  it('declares e2ee off for that channel only', async () => {
    const plain = await startVoiceServer({ MICROCLIMATE_CHANNELS: '[{"id":"lobby","name":"Lobby"},{"id":"radio","name":"Radio","e2ee":false}]' });
    try {
      const res = await plain.client.listChannels({}, authed);
      expect(res.channels.map((c) => [c.id, c.e2ee])).toEqual([
        ['lobby', true],
        ['radio', false],
      ]);
    } finally {
      await plain.server.close();
    }
  });
});

describe('LiveKit key use', () => {
  it('signs with the configured key: a token for another key does not verify', async () => {
    const res = await t.client.getChannelToken({ channelId: 'lobby' }, authed);
    await expect(new TokenVerifier(TEST_KEY, 'some-other-secret-of-sufficient-length-000000').verify(res.token)).rejects.toThrow();
    expect(TrackSource.MICROPHONE).toBe(2); // the grant above names it as "microphone"
  });
});
