// The one mapping between configured channels and LiveKit room names, used by the token
// minting, the webhooks and the reconciliation. Rooms that are not configured channels
// (another app on the same LiveKit, a room someone made by hand) never count.
import type { ChannelConfig } from '../config.js';

export interface ChannelRooms {
  readonly channelIds: readonly string[];
  roomOf(channelId: string): string;
  /** The channel whose room this is, or undefined for any other room. */
  channelOf(room: string): string | undefined;
}

export function channelRooms(channels: readonly ChannelConfig[]): ChannelRooms {
  // Channel ids are already safe room names (a-z, 0-9, "-"), so the room is named after its channel.
  const ids = new Set(channels.map((c) => c.id));
  return {
    channelIds: [...ids],
    roomOf: (channelId) => channelId,
    channelOf: (room) => (ids.has(room) ? room : undefined),
  };
}
