// What changed between two occupancy states, as the events a WatchChannels stream sends:
// every leave first, then updates, then joins (a person moving from one channel to another
// is seen leaving before joining: never in two channels at once). Used when a replica takes
// in a state another replica wrote (shared-occupancy.ts).
import type { OccupancyEvent, Occupant, Seat } from './occupancy.js';

export type Seating = ReadonlyMap<string, ReadonlyMap<string, Seat>>;

export function occupancyDiff(before: Seating, after: Seating): OccupancyEvent[] {
  const leaves: OccupancyEvent[] = [];
  const updates: OccupancyEvent[] = [];
  const joins: OccupancyEvent[] = [];
  for (const [channelId, seats] of after) {
    const old = before.get(channelId) ?? new Map<string, Seat>();
    for (const did of old.keys()) if (!seats.has(did)) leaves.push({ kind: 'left', channelId, did });
    for (const [did, seat] of seats) {
      const was = old.get(did);
      if (!was) joins.push({ kind: 'joined', channelId, participant: toOccupant(seat) });
      else if (was.handle !== seat.handle || was.muted !== seat.muted) updates.push({ kind: 'updated', channelId, participant: toOccupant(seat) });
    }
  }
  return [...leaves, ...updates, ...joins];
}

export function toOccupant(s: Occupant): Occupant {
  return { did: s.did, handle: s.handle, muted: s.muted };
}
