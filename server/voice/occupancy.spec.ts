import { beforeEach, describe, expect, it } from 'vitest';
import { ChannelOccupancy, type OccupancyEvent, type Seat } from './occupancy.js';

const alice: Seat = { did: 'did:plc:alice', handle: 'alice.test', muted: true, sid: 'PA_1' };
const bob: Seat = { did: 'did:plc:bob', handle: 'bob.test', muted: false, sid: 'PA_2' };
const carol: Seat = { did: 'did:plc:carol', handle: 'carol.test', muted: false, sid: 'PA_3' };

let occupancy: ChannelOccupancy;
let events: OccupancyEvent[];

beforeEach(() => {
  occupancy = new ChannelOccupancy(['lobby', 'music']);
  events = [];
  occupancy.subscribe((e) => events.push(e));
});

describe('live changes (webhooks)', () => {
  it('keeps people in join order and announces each change once', () => {
    occupancy.seat('lobby', alice);
    occupancy.seat('lobby', bob);
    occupancy.seat('lobby', bob); // a repeated joined changes nothing
    occupancy.setMuted('lobby', alice.did, alice.sid, false);
    occupancy.unseat('lobby', alice.did, alice.sid);
    expect(occupancy.participants('lobby')).toEqual([{ did: bob.did, handle: bob.handle, muted: false }]);
    expect(events).toEqual([
      { kind: 'joined', channelId: 'lobby', participant: { did: alice.did, handle: 'alice.test', muted: true } },
      { kind: 'joined', channelId: 'lobby', participant: { did: bob.did, handle: 'bob.test', muted: false } },
      { kind: 'updated', channelId: 'lobby', participant: { did: alice.did, handle: 'alice.test', muted: false } },
      { kind: 'left', channelId: 'lobby', did: alice.did },
    ]);
  });

  it('ignores rooms that are not configured channels', () => {
    occupancy.seat('not-a-channel', alice);
    expect(occupancy.snapshot().every((c) => c.participants.length === 0)).toBe(true);
    expect(events).toEqual([]);
  });

  it('a rejoin that replaces an older session survives the late leave of the old one', () => {
    occupancy.seat('lobby', alice);
    occupancy.seat('lobby', { ...alice, sid: 'PA_new' }); // LiveKit kicks the old session with the same identity
    occupancy.unseat('lobby', alice.did, alice.sid); // ...and reports its leave afterwards
    expect(occupancy.participants('lobby').map((p) => p.did)).toEqual([alice.did]);
    occupancy.unseat('lobby', alice.did, 'PA_new');
    expect(occupancy.count('lobby')).toBe(0);
  });

  it('one person on two devices is listed once: a join in another channel moves them, the old leave and late events change nothing', () => {
    occupancy.seat('lobby', alice);
    const phone = { ...alice, sid: 'PA_9' };
    occupancy.seat('music', phone);
    expect(occupancy.participants('lobby')).toEqual([]);
    expect(occupancy.participants('music')).toEqual([{ did: alice.did, handle: alice.handle, muted: true }]);
    occupancy.seat('lobby', alice); // a late event of the old session
    occupancy.unseat('lobby', alice.did, alice.sid); // its leave, once LiveKit removed it
    expect(occupancy.snapshot().flatMap((c) => c.participants.map((p) => `${c.channelId} ${p.did}`))).toEqual([`music ${alice.did}`]);
    expect(events).toEqual([
      { kind: 'joined', channelId: 'lobby', participant: { did: alice.did, handle: 'alice.test', muted: true } },
      { kind: 'left', channelId: 'lobby', did: alice.did },
      { kind: 'joined', channelId: 'music', participant: { did: alice.did, handle: 'alice.test', muted: true } },
    ]);
  });

  it('a late or replayed joined of a session that already left brings no ghost back', () => {
    occupancy.seat('lobby', alice);
    occupancy.unseat('lobby', alice.did, alice.sid);
    occupancy.seat('lobby', alice);
    expect(occupancy.count('lobby')).toBe(0);
    expect(events.map((e) => e.kind)).toEqual(['joined', 'left']);
  });

  it('room_finished empties the channel, one left per person in join order', () => {
    occupancy.seat('lobby', alice);
    occupancy.seat('lobby', bob);
    occupancy.clear('lobby');
    expect(events.slice(2)).toEqual([
      { kind: 'left', channelId: 'lobby', did: alice.did },
      { kind: 'left', channelId: 'lobby', did: bob.did },
    ]);
    expect(occupancy.empty).toBe(true);
  });

  it('a subscriber that throws does not stop the others', () => {
    const seen: string[] = [];
    occupancy.subscribe(() => {
      throw new Error('broken subscriber');
    });
    occupancy.subscribe((e) => seen.push(e.kind));
    occupancy.seat('music', carol);
    expect(seen).toEqual(['joined']);
    expect(events).toHaveLength(1);
  });
});

describe('reconciliation against LiveKit', () => {
  it('diffs to the truth: leaves first, then updates, then joins in the truth order', () => {
    occupancy.seat('lobby', alice);
    occupancy.seat('lobby', bob);
    events = [];
    const applied = occupancy.reconcile('lobby', [{ ...bob, muted: true }, carol], occupancy.version('lobby'));
    expect(applied).toBe(true);
    expect(events).toEqual([
      { kind: 'left', channelId: 'lobby', did: alice.did },
      { kind: 'updated', channelId: 'lobby', participant: { did: bob.did, handle: 'bob.test', muted: true } },
      { kind: 'joined', channelId: 'lobby', participant: { did: carol.did, handle: 'carol.test', muted: false } },
    ]);
    expect(occupancy.participants('lobby').map((p) => p.did)).toEqual([bob.did, carol.did]);
  });

  it('a truth equal to the state emits nothing', () => {
    occupancy.seat('lobby', alice);
    events = [];
    expect(occupancy.reconcile('lobby', [alice], occupancy.version('lobby'))).toBe(true);
    expect(events).toEqual([]);
  });

  it('is skipped when a webhook changed the channel while LiveKit was being asked', () => {
    const seen = occupancy.version('lobby');
    occupancy.seat('lobby', alice); // arrives while the listing is in flight
    expect(occupancy.reconcile('lobby', [], seen)).toBe(false);
    expect(occupancy.participants('lobby').map((p) => p.did)).toEqual([alice.did]);
    // Other channels are not affected by the lobby's webhook.
    expect(occupancy.reconcile('music', [carol], occupancy.version('music'))).toBe(true);
    expect(occupancy.count('music')).toBe(1);
  });

  it('a snapshot plus the events after it rebuild the same state', () => {
    occupancy.seat('lobby', alice);
    const start = occupancy.snapshot();
    const after: OccupancyEvent[] = [];
    occupancy.subscribe((e) => after.push(e));
    occupancy.seat('lobby', bob);
    occupancy.reconcile('lobby', [bob, { ...alice, muted: false }], occupancy.version('lobby'));
    occupancy.seat('music', carol);

    const rebuilt = new Map(start.map((c) => [c.channelId, [...c.participants]]));
    for (const e of after) {
      const list = rebuilt.get(e.channelId)!;
      if (e.kind === 'joined') list.push(e.participant);
      if (e.kind === 'left') list.splice(list.findIndex((p) => p.did === e.did), 1);
      if (e.kind === 'updated') list[list.findIndex((p) => p.did === e.participant.did)] = e.participant;
    }
    expect([...rebuilt].map(([channelId, participants]) => ({ channelId, participants }))).toEqual(occupancy.snapshot());
  });
});
