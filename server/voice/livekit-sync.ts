// Keeps occupancy true to LiveKit's own room API: a full sync at start-up, then a periodic
// reconciliation. Webhooks (webhooks.ts) are fast but can be lost (we were down, LiveKit
// gave up retrying) and LiveKit sends none for mute/unmute, so this poll is what makes the
// list correct in the end and what carries mute changes. LiveKit being down or slow never
// throws out of here: failures are logged once, retried with backoff, and the last known
// occupancy stays as it is. With several replicas only the holder of the store's
// reconciliation lease polls (mayRun); the others rely on its writes to the shared occupancy.
import { ParticipantInfo_State, TrackType, TwirpError, type ParticipantInfo, type RoomServiceClient } from 'livekit-server-sdk';
import { logEvent, type LogWriter } from '../log.js';
import type { ChannelOccupancy, Seat } from './occupancy.js';

/** What the reconciliation reads and writes (the shared occupancy's writes are async). */
export type ReconciledOccupancy = Pick<ChannelOccupancy, 'version' | 'empty'> & {
  reconcile(channelId: string, truth: readonly Seat[], seenVersion: number): boolean | Promise<boolean>;
};

// Generic DID syntax (did:method:id), bounded. Rooms also hold agents, egress and people
// from other apps on a shared LiveKit: only DIDs can be Microclimate people.
const DID = /^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$/;
const HANDLE_MAX = 253;

export function isDid(identity: string): boolean {
  return DID.test(identity) && !identity.endsWith(':');
}

/** Muted unless an audio track is published and not muted. */
export function mutedFrom(participant: Pick<ParticipantInfo, 'tracks'>): boolean {
  return !participant.tracks.some((t) => t.type === TrackType.AUDIO && !t.muted);
}

/**
 * Our view of a LiveKit participant, or undefined when it is not a Microclimate person.
 * The name is the handle we put in the join token; the token grants no right to change it
 * (canUpdateOwnMetadata is off), so it is as trustworthy as the token.
 */
export function seatOf(p: ParticipantInfo): Seat | undefined {
  if (!isDid(p.identity) || p.state === ParticipantInfo_State.DISCONNECTED) return undefined;
  return { did: p.identity, handle: p.name.slice(0, HANDLE_MAX), muted: mutedFrom(p), sid: p.sid };
}

export interface LiveKitSyncOptions {
  rooms: RoomServiceClient;
  occupancy: ReconciledOccupancy;
  /** False while another replica does the reconciliation (the lease); default always true. */
  mayRun?: () => boolean;
  /** channel id -> LiveKit room name, for the configured channels only. */
  roomOf: (channelId: string) => string;
  channelIds: readonly string[];
  intervalMs: number;
  log: LogWriter;
}

const MAX_BACKOFF_MS = 30_000;

export class LiveKitSync {
  readonly #o: LiveKitSyncOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failures = 0;

  constructor(options: LiveKitSyncOptions) {
    this.#o = options;
  }

  /** Starts the loop; the first pass (the start-up sync) runs at once. */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** One pass over every configured channel. Throws when LiveKit cannot be asked. */
  async reconcileOnce(): Promise<void> {
    const { rooms, occupancy, roomOf, channelIds } = this.#o;
    const seen = new Map(channelIds.map((id) => [id, occupancy.version(id)]));
    const existing = new Set((await rooms.listRooms(channelIds.map(roomOf))).map((r) => r.name));
    await Promise.all(
      channelIds.map(async (channelId) => {
        const room = roomOf(channelId);
        const participants = existing.has(room) ? await listParticipants(rooms, room) : [];
        const truth = participants
          .map(seatOf)
          .filter((s): s is Seat => s !== undefined)
          .sort((a, b) => joinedAt(participants, a) - joinedAt(participants, b));
        await occupancy.reconcile(channelId, truth, seen.get(channelId)!);
      }),
    );
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const { intervalMs, occupancy, log, mayRun } = this.#o;
    if (mayRun && !mayRun()) return this.#schedule(intervalMs);
    try {
      await this.reconcileOnce();
      if (this.#failures > 0) logEvent(log, 'livekit_sync_recovered', { failures: this.#failures });
      this.#failures = 0;
    } catch (error) {
      // Logged once per outage, not once per retry; the message is the SDK's (no secrets in it).
      if (this.#failures === 0) logEvent(log, 'livekit_sync_failed', { error: error instanceof Error ? error.message : String(error) });
      this.#failures++;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** Math.min(this.#failures, 10));
    this.#schedule(this.#failures > 0 ? backoff : occupancy.empty ? intervalMs * 5 : intervalMs);
  }
}

async function listParticipants(rooms: RoomServiceClient, room: string): Promise<ParticipantInfo[]> {
  try {
    return await rooms.listParticipants(room);
  } catch (error) {
    // The room closed between listRooms and now: it is empty, not an outage.
    if (error instanceof TwirpError && (error.code === 'not_found' || error.status === 404)) return [];
    throw error;
  }
}

function joinedAt(participants: ParticipantInfo[], seat: Seat): number {
  const p = participants.find((x) => x.sid === seat.sid);
  return p ? Number(p.joinedAtMs || p.joinedAt * 1000n) : 0;
}
