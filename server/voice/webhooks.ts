// LiveKit webhooks: an HTTP/1.1 listener at POST /livekit/webhook that LiveKit calls when
// people join or leave a room or publish their microphone. Each request is verified with
// livekit-server-sdk's WebhookReceiver: the Authorization header must be a JWT signed with
// our API secret whose `sha256` claim is the body's hash. Anything else (no header, another
// key, a body changed on the way) gets 401 and changes nothing, since a forged webhook could
// otherwise put anyone into a channel list. Verified events update the occupancy.
// Event ids are remembered in the server's store (shared by replicas), so a captured webhook
// replayed to any replica while its JWT is valid is dropped. A store outage answers 503:
// LiveKit retries the delivery later.
import http from 'node:http';
import { TrackType, type WebhookEvent, type WebhookReceiver } from 'livekit-server-sdk';
import { listenHttp, type HttpListener } from '../http-listen.js';
import { logEvent, type LogWriter } from '../log.js';
import { webhookLag, webhooks, webhookSignatureRefusals } from '../metrics/registry.js';
import { isDid, mutedFrom, seatOf } from './livekit-sync.js';
import type { ChannelOccupancy } from './occupancy.js';
import type { ChannelRooms } from './rooms.js';

export const WEBHOOK_PATH = '/livekit/webhook';
// LiveKit's events carry one room and one participant: a few KiB. The cap stops a caller
// from making us buffer a large body before the signature check refuses it.
const MAX_BODY_BYTES = 64 * 1024;
/** How long an applied event id is remembered: longer than LiveKit's webhook JWTs live. */
export const WEBHOOK_ID_TTL_MS = 15 * 60_000;

/**
 * What webhooks change: the shared occupancy. Every write is async and may fail (a Redis
 * blip, compare-and-set rounds running out), so every one returns a promise that
 * applyWebhook awaits: a failure must reach the listener's 503 path (the event id is
 * forgotten, LiveKit retries), never be dropped (an unhandled rejection ends the process).
 */
export type OccupancyWriter = Pick<ChannelOccupancy, 'isIn'> & {
  [K in 'seat' | 'setMuted' | 'unseat' | 'clear']: (...args: Parameters<ChannelOccupancy[K]>) => Promise<void>;
};

/** Applies one verified LiveKit event to the occupancy; rooms that are not channels are ignored. */
export async function applyWebhook(event: WebhookEvent, occupancy: OccupancyWriter, rooms: ChannelRooms): Promise<void> {
  const channelId = event.room ? rooms.channelOf(event.room.name) : undefined;
  if (channelId === undefined) return;
  if (event.event === 'room_finished') return occupancy.clear(channelId);
  const participant = event.participant;
  if (!participant || !isDid(participant.identity)) return;
  // Leave events carry the participant in state DISCONNECTED: only identity and sid matter.
  if (event.event === 'participant_left' || event.event === 'participant_connection_aborted') {
    return occupancy.unseat(channelId, participant.identity, participant.sid);
  }
  const seat = seatOf(participant);
  if (!seat) return;
  switch (event.event) {
    case 'participant_joined':
      return occupancy.seat(channelId, seat);
    case 'track_published':
    case 'track_unpublished': {
      // The participant info may or may not list the track yet: decide with it added or removed.
      const track = event.track;
      if (!track || track.type !== TrackType.AUDIO) return;
      const others = participant.tracks.filter((t) => t.sid !== track.sid);
      const muted = mutedFrom({ tracks: event.event === 'track_published' ? [...others, track] : others });
      if (occupancy.isIn(channelId, seat.did)) return occupancy.setMuted(channelId, seat.did, seat.sid, muted);
      return occupancy.seat(channelId, { ...seat, muted }); // its "joined" was lost or is late
    }
  }
}

export interface WebhookListenerOptions {
  port: number;
  bind: string;
  receiver: WebhookReceiver;
  onEvent: (event: WebhookEvent) => Promise<void>;
  /** Marks an event id as applied; false when it already was (a replay or a repeat). */
  firstTime: (id: string) => Promise<boolean>;
  /** Forgets an id whose event could not be applied, so LiveKit's retry is not dropped. */
  forget: (id: string) => Promise<void>;
  log: LogWriter;
}

export type WebhookListener = HttpListener;

export async function startWebhookListener(options: WebhookListenerOptions): Promise<WebhookListener> {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const reply = (status: number, text: string) =>
      // After a refused oversized body the rest of it is unread: do not reuse the connection.
      res.writeHead(status, { 'content-type': 'text/plain', ...(status === 413 ? { connection: 'close' } : {}) }).end(`${text}\n`);
    if (new URL(req.url ?? '/', 'http://x').pathname !== WEBHOOK_PATH) return reply(404, 'not found');
    if (req.method !== 'POST') return reply(405, 'use POST');
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return reply(413, 'body too large');
    // handle() answers every outcome itself; it rejects only when the body cannot be read
    // (the caller went away), and then the connection is ended.
    handle(req, reply).catch(() => res.destroy());
  });

  async function handle(req: http.IncomingMessage, reply: (status: number, text: string) => void): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return reply(413, 'body too large');
    let event: WebhookEvent;
    try {
      event = await options.receiver.receive(body, req.headers.authorization);
    } catch (error) {
      // The reason names what failed (missing header, signature, checksum), never the token.
      webhookSignatureRefusals.inc();
      logEvent(options.log, 'webhook_refused', { reason: error instanceof Error ? error.message : 'invalid' });
      return reply(401, 'webhook not verified');
    }
    // created_at is whole Unix seconds (LiveKit's clock; here, the same machine's or NTP's).
    if (event.createdAt > 0n) webhookLag.observe(Math.max(0, Date.now() / 1000 - Number(event.createdAt)));
    try {
      if (event.id && !(await options.firstTime(event.id))) {
        webhooks.inc({ result: 'repeat' });
        return reply(200, 'already applied');
      }
      logEvent(options.log, 'webhook', { event: event.event, room: event.room?.name });
      try {
        await options.onEvent(event);
      } catch (error) {
        if (event.id) await options.forget(event.id).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      webhooks.inc({ result: 'not_applied' });
      logEvent(options.log, 'webhook_not_applied', { event: event.event, error: error instanceof Error ? error.message : 'failed' });
      return reply(503, 'cannot apply it right now; retry later');
    }
    webhooks.inc({ result: 'applied' });
    reply(200, 'ok');
  }

  return listenHttp(server, options.port, options.bind);
}

/** The body as text, or undefined once it grows past the cap (the rest is not read). */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
