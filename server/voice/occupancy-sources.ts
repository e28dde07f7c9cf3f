// Starts what feeds the occupancy from LiveKit: the webhook listener and the room-API
// reconciliation (start-up sync included). Called by startServer; without LiveKit
// configured nothing is started and every channel stays empty.
import { RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';
import type { ServerConfig } from '../config.js';
import { logEvent, type LogWriter } from '../log.js';
import { LiveKitSync } from './livekit-sync.js';
import type { ChannelOccupancy } from './occupancy.js';
import type { ChannelRooms } from './rooms.js';
import { applyWebhook, startWebhookListener } from './webhooks.js';

export interface OccupancySources {
  /** The webhook port actually bound, or undefined without LiveKit. */
  readonly webhookPort: number | undefined;
  close(): Promise<void>;
}

export async function startOccupancySources(
  config: ServerConfig,
  occupancy: ChannelOccupancy,
  rooms: ChannelRooms,
  log: LogWriter,
): Promise<OccupancySources> {
  const { url, apiKey, apiSecret } = config.livekit;
  if (!url || !apiKey || !apiSecret) {
    logEvent(log, 'livekit_not_configured', { note: 'voice channels stay empty and GetChannelToken is refused' });
    return { webhookPort: undefined, close: async () => {} };
  }

  const listener = await startWebhookListener({
    port: config.webhookPort,
    bind: config.bind,
    receiver: new WebhookReceiver(apiKey, apiSecret),
    onEvent: (event) => applyWebhook(event, occupancy, rooms),
    log,
  });
  const sync = new LiveKitSync({
    rooms: new RoomServiceClient(url, apiKey, apiSecret, { requestTimeout: 5 }),
    occupancy,
    roomOf: rooms.roomOf,
    channelIds: rooms.channelIds,
    intervalMs: config.reconcileIntervalMs,
    log,
  });
  sync.start();

  return {
    webhookPort: listener.port,
    close: async () => {
      sync.stop();
      await listener.close();
    },
  };
}
