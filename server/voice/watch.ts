// One WatchChannels stream: a snapshot of the occupancy, then every change in the order it
// happened, plus a heartbeat so clients and proxies can tell a quiet stream from a dead one.
// The snapshot is taken and the subscription made in the same tick, so no change can fall
// between them. Each stream buffers at most `queueLimit` messages: a consumer that stops
// reading (a phone asleep, a stalled proxy) has its stream ended with UNAVAILABLE rather
// than making the server hold an ever-growing queue; the client resumes and gets a fresh
// snapshot, which is correct by construction.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type { WatchChannelsResponseSchema } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ChannelConfig } from '../config.js';
import type { ChannelOccupancy, OccupancyEvent } from './occupancy.js';

type WatchMessage = MessageInitShape<typeof WatchChannelsResponseSchema>;

export interface WatchTuning {
  readonly heartbeatMs: number;
  readonly queueLimit: number;
}

export const DEFAULT_WATCH_TUNING: WatchTuning = { heartbeatMs: 15_000, queueLimit: 256 };

/** Channels in display order with their people in join order (ListChannels and snapshots). */
export function channelList(channels: readonly ChannelConfig[], occupancy: ChannelOccupancy) {
  return channels.map((c) => ({ id: c.id, name: c.name, participants: occupancy.participants(c.id) }));
}

function toMessage(e: OccupancyEvent): WatchMessage {
  switch (e.kind) {
    case 'joined':
      return { event: { case: 'joined', value: { channelId: e.channelId, participant: e.participant } } };
    case 'left':
      return { event: { case: 'left', value: { channelId: e.channelId, did: e.did } } };
    case 'updated':
      return { event: { case: 'updated', value: { channelId: e.channelId, participant: e.participant } } };
  }
}

export async function* watchChannels(
  channels: readonly ChannelConfig[],
  occupancy: ChannelOccupancy,
  signal: AbortSignal,
  tuning: WatchTuning = DEFAULT_WATCH_TUNING,
): AsyncGenerator<WatchMessage> {
  let queue: WatchMessage[] = [];
  let failure: ConnectError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const push = (message: WatchMessage) => {
    if (failure) return;
    if (queue.length >= tuning.queueLimit) {
      failure = new ConnectError('this stream fell behind; reconnect to get a fresh snapshot', Code.Unavailable);
      queue = []; // free what it held now, even if the consumer never reads again
      stop();
    } else queue.push(message);
    notify();
  };

  const snapshot = channelList(channels, occupancy);
  const unsubscribe = occupancy.subscribe((e) => push(toMessage(e)));
  const heartbeat = setInterval(() => push({ event: { case: 'heartbeat', value: { sentAt: timestampNow() } } }), tuning.heartbeatMs);
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
  };
  signal.addEventListener('abort', notify, { once: true });

  try {
    yield { event: { case: 'snapshot', value: { channels: snapshot } } };
    for (;;) {
      if (signal.aborted) {
        // Server shutdown aborts with UNAVAILABLE (app.ts) so clients know to resume; a
        // client or proxy that went away (canceled, reset) just ends: nobody is listening.
        if (signal.reason instanceof ConnectError && signal.reason.code === Code.Unavailable) throw signal.reason;
        return;
      }
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stop();
    signal.removeEventListener('abort', notify);
  }
}
