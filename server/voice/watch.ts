// One WatchChannels stream: a snapshot of the occupancy, then every change in the order it
// happened, plus a heartbeat so clients and proxies can tell a quiet stream from a dead one.
// A stream subscribes at once and owes its consumer a snapshot, taken when its turn to send
// one comes (Turns, below); the changes before that are in it, so none falls between the
// snapshot and the changes that follow. Each stream buffers at most `queueLimit` messages. When a change would
// overflow it, the queue is dropped and the stream owes its consumer a fresh snapshot
// instead, taken when the consumer next reads (correct by construction: the snapshot, then
// each later change). So a burst larger than the queue (a crowd seated in one pass of the
// reconciliation or of another replica's state, which no consumer can read between) costs
// each stream one snapshot, not a stream ended and a reconnect storm. A consumer that has
// read nothing for `stallMs` while it owes that snapshot (a phone asleep, a stalled proxy)
// has its stream ended with UNAVAILABLE; meanwhile the stream holds nothing but that debt.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { WatchChannelsResponseSchema } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
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

// Every stream is handed the same event object for a change (profiled-occupancy.ts, or the
// occupancy's own emitter), so each change becomes one protobuf message that all streams
// send, instead of one per stream: Connect takes a message as it is and only serialises it.
const messages = new WeakMap<OccupancyEvent, WatchMessage>();

function toMessage(e: OccupancyEvent): WatchMessage {
  let message = messages.get(e);
  if (!message) {
    message = create(WatchChannelsResponseSchema, { event: eventOf(e) });
    messages.set(e, message);
  }
  return message;
}

function eventOf(e: OccupancyEvent): WatchMessage['event'] {
  switch (e.kind) {
    case 'joined':
      return { case: 'joined', value: { channelId: e.channelId, participant: e.participant } };
    case 'left':
      return { case: 'left', value: { channelId: e.channelId, did: e.did } };
    case 'updated':
      return { case: 'updated', value: { channelId: e.channelId, participant: e.participant } };
  }
}

// The snapshot too is one message for every stream opened while nothing changed: 2,000 lists
// opening on a server with 2,000 people seated built 2,000 copies of everyone (about 1 GB of
// garbage at once, which the process kept as resident memory). Any change drops it; the
// dropping listener runs in the change's own emit, before any stream can read again.
const snapshots = new WeakMap<OccupancyView, { channels: readonly ChannelConfig[]; message: WatchMessage | undefined }>();

function snapshotOf(channels: readonly ChannelConfig[], occupancy: OccupancyView): WatchMessage {
  let cached = snapshots.get(occupancy);
  if (cached?.channels !== channels) {
    const entry: { channels: readonly ChannelConfig[]; message: WatchMessage | undefined } = { channels, message: undefined };
    occupancy.subscribe(() => (entry.message = undefined)); // for the view's lifetime (the server's)
    snapshots.set(occupancy, entry);
    cached = entry;
  }
  cached.message ??= create(WatchChannelsResponseSchema, { event: { case: 'snapshot', value: { channels: channelList(channels, occupancy) } } });
  return cached.message;
}

const heartbeatMessage = (): WatchMessage => ({ event: { case: 'heartbeat', value: { sentAt: timestampNow() } } });

/**
 * Turns to send a snapshot: at most `limit` streams at once, the others wait in order. A
 * snapshot is the whole server's occupancy (about 116 KB with 2,000 people seated), and all of
 * a proxy's streams share one HTTP/2 session. When 2,000 lists opened at once (a reconnect
 * after a restart), their snapshots went out together: 232 MB queued on that session, far
 * past the 10 MB Node lets a session buffer by default, and newer streams were reset (Envoy's
 * 503 "UR"; most likely that limit, raised too in app.ts). With turns, what is queued is a few snapshots; a turn ends when Connect asks the stream
 * for its next message, which it does once the snapshot's write has drained.
 */
class Turns {
  #free: number;
  readonly #waiting = new Set<() => void>(); // in arrival order
  constructor(limit: number) {
    this.#free = limit;
  }

  /** Resolves with the turn's release once it is this caller's turn, or at once with nothing to release when `signal` aborts first. */
  take(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.resolve(() => {});
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      const go = () => {
        signal.removeEventListener('abort', quit);
        resolve(this.#releaser());
      };
      const quit = () => {
        this.#waiting.delete(go);
        resolve(() => {});
      };
      this.#waiting.add(go);
      signal.addEventListener('abort', quit, { once: true });
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.values().next();
      if (next.done) this.#free++;
      else {
        this.#waiting.delete(next.value);
        next.value(); // the turn passes on
      }
    };
  }
}

const snapshotTurns = new Turns(8);

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

  // The stream starts owing its snapshot: it is taken when the stream's turn to send one comes
  // (below), and the changes before that are in it.
  owedSince = performance.now();
  const unsubscribe = occupancy.subscribe((e) => push(toMessage(e)));
  const heartbeat = setInterval(() => push(heartbeatMessage()), tuning.heartbeatMs);
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
  };
  signal.addEventListener('abort', notify, { once: true });

  try {
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
        const release = await snapshotTurns.take(signal);
        try {
          if (signal.aborted || failure) continue;
          owedSince = undefined;
          yield snapshotOf(channels, occupancy);
        } finally {
          release(); // once the consumer asks for more: Connect asks when the write has drained
        }
        // Connect's pipeline keeps the last message it sent (its bytes, twice) until the next
        // one: after a snapshot, every stream held two copies of the whole occupancy until the
        // next change (232 KB a stream with 2,000 people seated). A heartbeat now lets it go.
        yield heartbeatMessage();
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
