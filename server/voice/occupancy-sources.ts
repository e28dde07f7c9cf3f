// Starts what feeds the occupancy from LiveKit: the webhook listener and the room-API
// reconciliation (start-up sync included). Called by startServer; without LiveKit
// configured nothing is started and every channel stays empty.
import { RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';
import type { ServerConfig } from '../config.js';
import { logEvent, type LogWriter } from '../log.js';
import { LiveKitSync } from './livekit-sync.js';
import { StoreLease } from '../store/lease.js';
import type { SharedOccupancy } from './shared-occupancy.js';
import type { ChannelRooms } from './rooms.js';
import { applyWebhook, startWebhookListener, WEBHOOK_ID_TTL_MS } from './webhooks.js';
import type { Store } from '../store/store.js';

export interface OccupancySources {
  /** The webhook port actually bound, or undefined without LiveKit. */
  readonly webhookPort: number | undefined;
  close(): Promise<void>;
}

export async function startOccupancySources(
  config: ServerConfig,
  occupancy: SharedOccupancy,
  rooms: ChannelRooms,
  store: Store,
  log: LogWriter,
  replica: string,
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
    firstTime: (id) => store.setIfAbsent(`webhook:${id}`, WEBHOOK_ID_TTL_MS),
    forget: (id) => store.delete(`webhook:${id}`),
    log,
  });
  // One replica reconciles at a time; a dead holder is replaced within the lease's ttl.
  const lease = new StoreLease({ store, key: 'lease:livekit-sync', holder: replica, ttlMs: Math.max(3000, config.reconcileIntervalMs * 3), log });
  lease.start();
  const sync = new LiveKitSync({
    mayRun: () => lease.held,
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
      await Promise.all([listener.close(), lease.stop()]);
    },
  };
}
