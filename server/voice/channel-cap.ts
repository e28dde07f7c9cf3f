// The per-channel participant cap (MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL), decided in
// the store in one atomic step so that two replicas handing out the last place at the same
// moment cannot both succeed. Who is present comes from the occupancy; someone who got a
// token but whose join LiveKit has not reported yet holds a reservation for RESERVATION_MS,
// so a burst of token requests cannot slip past the cap in that gap. LiveKit enforces the
// same maxParticipants on the room it creates (channel-token.ts) as a second line.
import type { Store } from '../store/store.js';
import type { ChannelOccupancy } from './occupancy.js';

/** Time for a join to be reported (token fetched, WebRTC up, webhook delivered), with margin. */
export const RESERVATION_MS = 60_000;

/** True when did may have a place in channelId (always when it is already inside). */
export type ChannelCap = (channelId: string, did: string, max: number) => Promise<boolean>;

export function channelCap(store: Store, occupancy: Pick<ChannelOccupancy, 'participants'>): ChannelCap {
  return (channelId, did, max) =>
    store.admit(`cap:${channelId}`, {
      member: did,
      limit: max,
      holdMs: RESERVATION_MS,
      present: occupancy.participants(channelId).map((p) => p.did),
    });
}
