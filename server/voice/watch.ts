// One WatchChannels stream: a snapshot of the occupancy, then every change in the order it
// happened, plus a heartbeat so clients and proxies can tell a quiet stream from a dead one.
// The snapshot is taken and the subscription made in the same tick, so no change can fall
// between them. Each stream buffers at most `queueLimit` messages. When a change would
// overflow it, the queue is dropped and the stream owes its consumer a fresh snapshot
// instead, taken when the consumer next reads (correct by construction: the snapshot, then
// each later change). So a burst larger than the queue (a crowd seated in one pass of the
// reconciliation or of another replica's state, which no consumer can read between) costs
// each stream one snapshot, not a stream ended and a reconnect storm. A consumer that has
// read nothing for `stallMs` while it owes that snapshot (a phone asleep, a stalled proxy)
// has its stream ended with UNAVAILABLE; meanwhile the stream holds nothing but that debt.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type { WatchChannelsResponseSchema } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ChannelConfig } from '../config.js';
import type { OccupancyEvent } from './occupancy.js';
import type { OccupancyView } from './profiled-occupancy.js';

type WatchMessage = MessageInitShape<typeof WatchChannelsResponseSchema>;

export interface WatchTuning {
  readonly heartbeatMs: number;
  readonly queueLimit: number;
  /** How long a stream whose queue overflowed may go without reading before it is ended (default 60 s). */
  readonly stallMs?: number;
}

const TOLD_TO_CLIENT = new Set([Code.Unavailable, Code.Unauthenticated]);

export const DEFAULT_WATCH_TUNING: WatchTuning = { heartbeatMs: 15_000, queueLimit: 256, stallMs: 60_000 };

/** Channels in display order with their people in join order (ListChannels and snapshots). */
export function channelList(channels: readonly ChannelConfig[], occupancy: Pick<OccupancyView, 'participants'>) {
  return channels.map((c) => ({
    id: c.id,
    name: c.name,
    participants: occupancy.participants(c.id),
    e2ee: c.e2ee !== false,
    ...(c.max !== undefined ? { maxParticipants: c.max } : {}),
  }));
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
  occupancy: OccupancyView,
  signal: AbortSignal,
  tuning: WatchTuning = DEFAULT_WATCH_TUNING,
): AsyncGenerator<WatchMessage> {
  let queue: WatchMessage[] = [];
  let failure: ConnectError | undefined;
  /** Since when the queue was dropped and a fresh snapshot is owed (performance.now()). */
  let owedSince: number | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const push = (message: WatchMessage) => {
    if (failure) return;
    if (owedSince !== undefined) {
      // The owed snapshot covers this change; the heartbeat's pushes also check for a stall.
      if (performance.now() - owedSince < (tuning.stallMs ?? DEFAULT_WATCH_TUNING.stallMs!)) return;
      failure = new ConnectError('this stream fell behind; reconnect to get a fresh snapshot', Code.Unavailable);
      stop();
    } else if (queue.length >= tuning.queueLimit) {
      queue = []; // free what it held now, even if the consumer never reads again
      owedSince = performance.now();
    } else queue.push(message);
    notify();
  };

  // Held only until it is sent: a stream lives for hours, and keeping its first snapshot made
  // each stream's memory grow with the number of people on the server.
  let snapshot: WatchMessage | undefined = { event: { case: 'snapshot', value: { channels: channelList(channels, occupancy) } } };
  const takeSnapshot = () => {
    const message = snapshot!;
    snapshot = undefined;
    return message;
  };
  const unsubscribe = occupancy.subscribe((e) => push(toMessage(e)));
  const heartbeat = setInterval(() => push({ event: { case: 'heartbeat', value: { sentAt: timestampNow() } } }), tuning.heartbeatMs);
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
  };
  signal.addEventListener('abort', notify, { once: true });

  try {
    yield takeSnapshot();
    for (;;) {
      if (signal.aborted) {
        // The server ends streams with a code that tells the client what to do: UNAVAILABLE
        // on shutdown (resume), UNAUTHENTICATED when the session expired (renew, resume). A
        // client or proxy that went away (canceled, reset) just ends: nobody is listening.
        if (signal.reason instanceof ConnectError && TOLD_TO_CLIENT.has(signal.reason.code)) throw signal.reason;
        return;
      }
      if (failure) throw failure;
      if (owedSince !== undefined) {
        owedSince = undefined;
        yield { event: { case: 'snapshot', value: { channels: channelList(channels, occupancy) } } };
        continue;
      }
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stop();
    signal.removeEventListener('abort', notify);
  }
}

/**
 * A signal that aborts with `signal` or, at the latest, when the session expires (Unix
 * seconds), with UNAUTHENTICATED: a stream must not outlive the JWT that opened it. Call
 * dispose() when the stream ends so that no timer is left behind.
 */
export function untilSessionEnds(signal: AbortSignal, expiresAt: number, now = Date.now()): { signal: AbortSignal; dispose: () => void } {
  const ends = new AbortController();
  const forward = () => ends.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener('abort', forward, { once: true });
  // setTimeout holds at most 2^31-1 ms (~24.8 days); sessions live at most a day.
  const timer = setTimeout(
    () => ends.abort(new ConnectError('your session expired; renew it and open the channel list again', Code.Unauthenticated)),
    Math.min(Math.max(0, expiresAt * 1000 - now), 2 ** 31 - 1),
  );
  return {
    signal: ends.signal,
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    },
  };
}
