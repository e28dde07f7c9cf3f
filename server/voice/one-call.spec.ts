import { describe, expect, it, vi } from 'vitest';
import { TwirpError } from 'livekit-server-sdk';
import { ChannelOccupancy } from './occupancy.js';
import { channelRooms } from './rooms.js';
import { oneCallPerPerson, rejoinAllowed } from './one-call.js';

const rooms = channelRooms([
  { id: 'lobby', name: 'Lobby' },
  { id: 'music', name: 'Music' },
  { id: 'games', name: 'Games' },
] as Parameters<typeof channelRooms>[0]);

function setUp(remove = vi.fn(async (_room: string, _identity: string) => {})) {
  const occupancy = new ChannelOccupancy(rooms.channelIds);
  const lines: string[] = [];
  const endOtherCalls = oneCallPerPerson({ occupancy, rooms, remove, log: (l) => lines.push(l) });
  return { occupancy, remove, lines, endOtherCalls };
}

describe('one call per person', () => {
  it('joining one channel removes the person from the room of the other channel they are in', async () => {
    const { occupancy, remove, endOtherCalls } = setUp();
    occupancy.seat('music', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_1' });
    occupancy.seat('games', { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_2' });
    await endOtherCalls('did:plc:alice', 'lobby');
    expect(remove.mock.calls).toEqual([['music', 'did:plc:alice']]);
  });

  it('leaves the channel being joined alone (LiveKit hands the call over there itself)', async () => {
    const { occupancy, remove, endOtherCalls } = setUp();
    occupancy.seat('lobby', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_1' });
    await endOtherCalls('did:plc:alice', 'lobby');
    expect(remove).not.toHaveBeenCalled();
  });

  it('never refuses the join: a person already gone is fine, another failure is logged', async () => {
    const remove = vi.fn(async (room: string) => {
      if (room === 'music') throw new TwirpError('not_found', 'participant not found', 404);
      throw new Error('LiveKit unreachable');
    });
    const { occupancy, lines, endOtherCalls } = setUp(remove);
    occupancy.seat('music', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_1' });
    occupancy.seat('games', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_2' });
    await expect(endOtherCalls('did:plc:alice', 'lobby')).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('one_call_removal_failed');
    expect(lines[0]).toContain('games');
  });

  it('an automatic rejoin is allowed only while the person is in no call, or still seated through the session that device lost', () => {
    const { occupancy } = setUp();
    expect(rejoinAllowed(occupancy, 'did:plc:alice', 'PA_laptop')).toBe(true);
    expect(rejoinAllowed(occupancy, 'did:plc:alice', '')).toBe(true);
    occupancy.seat('lobby', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_laptop' });
    expect(rejoinAllowed(occupancy, 'did:plc:alice', 'PA_laptop')).toBe(true);
    expect(rejoinAllowed(occupancy, 'did:plc:alice', '')).toBe(false);
    // The phone took over (a new session), here or in another channel.
    occupancy.seat('lobby', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_phone' });
    expect(rejoinAllowed(occupancy, 'did:plc:alice', 'PA_laptop')).toBe(false);
    occupancy.seat('music', { did: 'did:plc:alice', handle: 'alice.test', muted: false, sid: 'PA_phone2' });
    expect(rejoinAllowed(occupancy, 'did:plc:alice', 'PA_laptop')).toBe(false);
    // Someone else's call is not hers.
    expect(rejoinAllowed(occupancy, 'did:plc:bob', '')).toBe(true);
  });
});
