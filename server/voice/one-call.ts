// One call per person. LiveKit's identity is the DID, so within one room a second device
// already takes the call over (LiveKit removes the first with DUPLICATE_IDENTITY, which the
// app treats as final). Across rooms LiveKit sees two different participants: when someone
// asks for a token for one channel, their sessions in every other channel are ended here,
// through LiveKit's room API. The older device gets PARTICIPANT_REMOVED (final too) and
// the channel list shows the person once. A failure to remove is logged and never refuses
// the join: a person in two rooms for a while is better than one locked out.
import { RoomServiceClient, TwirpError } from 'livekit-server-sdk';
import { logEvent, type LogWriter } from '../log.js';
import type { ChannelOccupancy } from './occupancy.js';
import type { ChannelRooms } from './rooms.js';

/** Ends `did`'s calls in every channel but `channelId`. Never throws. */
export type EndOtherCalls = (did: string, channelId: string) => Promise<void>;

export interface OneCallDeps {
  occupancy: Pick<ChannelOccupancy, 'isIn'>;
  rooms: ChannelRooms;
  /** LiveKit's RemoveParticipant (RoomServiceClient.removeParticipant in the server). */
  remove: (room: string, identity: string) => Promise<void>;
  log: LogWriter;
}

export function oneCallPerPerson(deps: OneCallDeps): EndOtherCalls {
  return async (did, channelId) => {
    const others = deps.rooms.channelIds.filter((id) => id !== channelId && deps.occupancy.isIn(id, did));
    await Promise.all(
      others.map(async (other) => {
        try {
          await deps.remove(deps.rooms.roomOf(other), did);
        } catch (error) {
          // Already gone (left meanwhile, room ended) is what we wanted.
          if (error instanceof TwirpError && error.status === 404) return;
          logEvent(deps.log, 'one_call_removal_failed', { channel: other, error: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
  };
}

/**
 * Whether an automatic rejoin (a device rejoining by itself the call it lost) may have a
 * token: only while `did` is in no call, or still seated through `lostSession`, the session
 * that device lost (LiveKit has not noticed yet). Seated through any other session, the
 * person is in a call on another device, which only a join they ask for may take over:
 * a stale laptop back online must not silently take the call from the phone in use.
 */
export function rejoinAllowed(occupancy: Pick<ChannelOccupancy, 'seatOf'>, did: string, lostSession: string): boolean {
  const seat = occupancy.seatOf(did);
  return !seat || (lostSession !== '' && seat.sid === lostSession);
}

/** The rule on the configured LiveKit, or undefined without one. */
export function liveKitOneCall(
  lk: { url?: string; apiKey?: string; apiSecret?: string },
  occupancy: ChannelOccupancy,
  rooms: ChannelRooms,
  log: LogWriter,
): EndOtherCalls | undefined {
  if (!lk.url || !lk.apiKey || !lk.apiSecret) return undefined;
  const api = new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret, { requestTimeout: 5 });
  return oneCallPerPerson({ occupancy, rooms, log, remove: async (room, identity) => void (await api.removeParticipant(room, identity)) });
}
