// ChannelsService. Every call reaches here only through requireSession (see app.ts), so
// handlers can rely on sessionOf(context). Occupancy comes from LiveKit (server/voice/).
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { ServerLimitsSchema } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelSchema, ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ServerConfig } from '../config.js';
import { channelTokensIssued } from '../metrics/registry.js';
import { sessionOf } from '../session-auth.js';
import { mintChannelPass } from '../voice/channel-token.js';
import { CALL_KEY_ATTRIBUTE, callKeyAttribute } from '../voice/call-key.js';
import type { ChannelCap } from '../voice/channel-cap.js';
import type { ProfileBook } from '../identity/profile-book.js';
import type { ChannelOccupancy } from '../voice/occupancy.js';
import { profiledOccupancy } from '../voice/profiled-occupancy.js';
import type { ChannelRooms } from '../voice/rooms.js';
import type { StreamQuota } from '../voice/stream-quota.js';
import { rejoinAllowed, type EndOtherCalls } from '../voice/one-call.js';
import { channelList, untilSessionEnds, watchChannels, type WatchTuning } from '../voice/watch.js';

export interface ChannelsDeps {
  occupancy: ChannelOccupancy;
  rooms: ChannelRooms;
  streams: StreamQuota;
  watch?: WatchTuning;
  endOtherCalls?: EndOtherCalls;
  /** The participant cap, shared by every replica (voice/channel-cap.ts). */
  cap: ChannelCap;
  /** Display names and avatars of the people listed; without it, lists carry handles only. */
  profiles?: ProfileBook;
}

export function channelsService(config: ServerConfig, deps: ChannelsDeps): ServiceImpl<typeof ChannelsService> {
  const { occupancy, rooms } = deps;
  const seen = deps.profiles ? profiledOccupancy(occupancy, deps.profiles) : occupancy;
  // Each channel listed with the limit it holds (its own, else the server's), so a list marks it full.
  const listed = config.channels.map((c) => ({ ...c, max: c.max ?? config.maxParticipantsPerChannel }));
  return {
    listChannels() {
      return { channels: channelList(listed, seen) };
    },
    async *watchChannels(_req, context) {
      const session = sessionOf(context);
      const release = await deps.streams.open(session.did); // before any work: a refusal costs nothing
      const lifetime = untilSessionEnds(context.signal, session.expiresAt);
      try {
        yield* watchChannels(listed, seen, lifetime.signal, deps.watch);
      } finally {
        lifetime.dispose();
        release();
      }
    },
    async getChannelToken(req, context) {
      const session = sessionOf(context);
      const channel = config.channels.find((c) => c.id === req.channelId);
      if (!channel) {
        // The id is echoed only when it is plausibly one (bounded, plain), never arbitrary input.
        const shown = /^[a-z0-9-]{1,63}$/.test(req.channelId) ? ` "${req.channelId}"` : '';
        throw new ConnectError(`there is no channel${shown} on this server`, Code.NotFound);
      }
      const { url, apiKey, apiSecret } = config.livekit;
      if (!url || !apiKey || !apiSecret) {
        throw new ConnectError('voice is not set up on this server (no LiveKit configured)', Code.FailedPrecondition);
      }
      // Checked before anything that has an effect (the cap's seat, ending other calls).
      const key = await callKeyAttribute(req.publicKey);
      if (req.rejoin && !rejoinAllowed(occupancy, session.did, req.rejoin.lostSession)) {
        throw new ConnectError('you are in a call on another device: an automatic rejoin does not take it over', Code.AlreadyExists);
      }
      const max = channel.max ?? config.maxParticipantsPerChannel;
      // Someone already inside (a reconnect, a second tab) may always get a fresh token.
      if (max > 0 && !(await deps.cap(channel.id, session.did, max))) {
        // The details (the channel, the limit it hit) tell the app this is a full channel, not a rate limit.
        throw new ConnectError(`"${channel.name}" is full (${max} people)`, Code.ResourceExhausted, undefined, [
          { desc: ChannelSchema, value: { id: channel.id, name: channel.name } },
          { desc: ServerLimitsSchema, value: { maxParticipantsPerChannel: max } },
        ]);
      }
      // One call per person: joining here ends this person's call in any other channel. An
      // automatic rejoin was let through only if they are in no other call: it ends nothing.
      if (!req.rejoin) await deps.endOtherCalls?.(session.did, channel.id);
      const pass = await mintChannelPass(
        { url, apiKey, apiSecret },
        {
          room: rooms.roomOf(channel.id),
          session,
          ttlSeconds: config.channelTokenTtlSeconds,
          maxParticipants: max,
          attributes: key ? { [CALL_KEY_ATTRIBUTE]: key } : undefined,
        },
      );
      channelTokensIssued.inc({ channel: channel.id });
      return { livekitUrl: pass.livekitUrl, token: pass.token, expiresAt: timestampFromMs(pass.expiresAtMs), room: pass.room };
    },
  };
}
