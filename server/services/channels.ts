// ChannelsService. Every call reaches here only through requireSession (see app.ts), so
// handlers can rely on sessionOf(context).
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ServerConfig } from '../config.js';

const notYet = (what: string): ConnectError =>
  new ConnectError(`${what} is not implemented on this server yet`, Code.Unimplemented);

export function channelsService(config: ServerConfig): ServiceImpl<typeof ChannelsService> {
  return {
    listChannels() {
      // Occupancy comes from LiveKit (the Voice issue); until then every channel is empty.
      return { channels: config.channels.map((c) => ({ id: c.id, name: c.name, participants: [] })) };
    },
    // eslint-disable-next-line require-yield
    async *watchChannels() {
      throw notYet('watching channels');
    },
    getChannelToken() {
      throw notYet('joining a channel');
    },
  };
}
