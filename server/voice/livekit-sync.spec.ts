import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParticipantInfo, ParticipantInfo_State, Room, TrackInfo, TrackSource, TrackType, TwirpError, type RoomServiceClient } from 'livekit-server-sdk';
import { isDid, LiveKitSync, seatOf } from './livekit-sync.js';
import { ChannelOccupancy, type OccupancyEvent } from './occupancy.js';

const mic = (muted: boolean) => new TrackInfo({ sid: 'TR_m', type: TrackType.AUDIO, source: TrackSource.MICROPHONE, muted });
const person = (did: string, joinedAtMs: number, tracks: TrackInfo[] = []) =>
  new ParticipantInfo({ sid: `PA_${did}`, identity: did, name: `${did.slice(8)}.test`, state: ParticipantInfo_State.ACTIVE, joinedAtMs: BigInt(joinedAtMs), tracks });

/** A RoomServiceClient stand-in whose rooms the test edits between passes. */
function fakeLiveKit(state: Record<string, ParticipantInfo[]>, fail = { now: false }) {
  const client = {
    listRooms: vi.fn(async (names?: string[]) => {
      if (fail.now) throw new Error('connect ECONNREFUSED 127.0.0.1:7880');
      return Object.keys(state).filter((n) => !names || names.includes(n)).map((name) => new Room({ name }));
    }),
    listParticipants: vi.fn(async (room: string) => {
      if (!state[room]) throw new TwirpError('not_found', 'room not found', 404, 'not_found');
      return state[room];
    }),
  };
  return client as typeof client & RoomServiceClient;
}

const channels = ['lobby', 'music'];
const syncWith = (rooms: RoomServiceClient, occupancy: ChannelOccupancy, lines: string[] = []) =>
  new LiveKitSync({ rooms, occupancy, roomOf: (id) => id, channelIds: channels, intervalMs: 200, log: (l) => lines.push(l) });

afterEach(() => {
  vi.useRealTimers();
});

describe('reconciliation pass', () => {
  it('carries mute changes, which LiveKit sends no webhook for', async () => {
    const state = { lobby: [person('did:plc:alice', 1, [mic(false)])] };
    const occupancy = new ChannelOccupancy(channels);
    const events: OccupancyEvent[] = [];
    occupancy.subscribe((e) => events.push(e));
    const sync = syncWith(fakeLiveKit(state), occupancy);

    await sync.reconcileOnce();
    expect(occupancy.participants('lobby')).toEqual([{ did: 'did:plc:alice', handle: 'alice.test', muted: false }]);
    state.lobby = [person('did:plc:alice', 1, [mic(true)])];
    await sync.reconcileOnce();
    state.lobby = [person('did:plc:alice', 1, [])]; // unpublished counts as muted too
    await sync.reconcileOnce();
    expect(events.map((e) => [e.kind, e.kind === 'left' ? undefined : e.participant.muted])).toEqual([
      ['joined', false],
      ['updated', true],
    ]);
  });

  it('orders newcomers by when they joined LiveKit, ignores non-DIDs and other rooms, treats a vanished room as empty', async () => {
    const state: Record<string, ParticipantInfo[]> = {
      lobby: [person('did:plc:late', 300), person('agent-1', 100), person('did:plc:early', 200)],
      'another-app': [person('did:plc:mallory', 1)],
    };
    const occupancy = new ChannelOccupancy(channels);
    const lk = fakeLiveKit(state);
    await syncWith(lk, occupancy).reconcileOnce();
    expect(occupancy.participants('lobby').map((p) => p.did)).toEqual(['did:plc:early', 'did:plc:late']);
    expect(lk.listRooms).toHaveBeenCalledWith(['lobby', 'music']);

    lk.listRooms.mockResolvedValueOnce([new Room({ name: 'lobby' })]); // listed, then gone before its participants are asked
    delete state.lobby;
    await syncWith(lk, occupancy).reconcileOnce();
    expect(occupancy.empty).toBe(true);
  });
});

describe('the loop', () => {
  it('survives LiveKit being down: keeps the last list, logs the outage once, backs off, recovers', async () => {
    vi.useFakeTimers();
    const fail = { now: false };
    const lk = fakeLiveKit({ lobby: [person('did:plc:alice', 1)] }, fail);
    const occupancy = new ChannelOccupancy(channels);
    const lines: string[] = [];
    const sync = syncWith(lk, occupancy, lines);
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(occupancy.count('lobby')).toBe(1);

    fail.now = true;
    const before = lk.listRooms.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    const attempts = lk.listRooms.mock.calls.length - before;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(10); // 200 ms apart without backoff would be 50
    expect(occupancy.count('lobby')).toBe(1);
    expect(lines.filter((l) => l.includes('livekit_sync_failed'))).toHaveLength(1);

    fail.now = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lines.some((l) => l.includes('livekit_sync_recovered'))).toBe(true);
    sync.stop();
    const calls = lk.listRooms.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lk.listRooms.mock.calls.length).toBe(calls);
  });
});

describe('who counts as a Microclimate person', () => {
  it('only DIDs, and not participants already disconnected', () => {
    expect(['did:plc:abc123', 'did:web:example.com', 'did:web:localhost%3A8080'].every(isDid)).toBe(true);
    expect(['agent-1', 'did:', 'did:plc:', 'DID:plc:x', 'did:plc:a b', `did:plc:${'a'.repeat(3000)}`].some(isDid)).toBe(false);
    const gone = person('did:plc:alice', 1);
    gone.state = ParticipantInfo_State.DISCONNECTED;
    expect(seatOf(gone)).toBeUndefined();
  });
});
