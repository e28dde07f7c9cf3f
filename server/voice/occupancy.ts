// Who is in which voice channel, in join order. Written by the LiveKit webhooks
// (webhooks.ts) and by the reconciliation against LiveKit's room API (livekit-sync.ts);
// read by ListChannels / WatchChannels (services/channels.ts) and GetChannelToken (the
// per-channel limit). Every change is announced as a typed event, synchronously, right
// after the state changed, so a reader that takes a snapshot and subscribes in the same
// tick sees a consistent story: the snapshot, then each change appended in order.
import { EventEmitter } from 'node:events';
import { occupancyDiff, toOccupant } from './occupancy-diff.js';

/** A person in a channel as clients see them (the contract's Participant). */
export interface Occupant {
  readonly did: string;
  readonly handle: string;
  readonly muted: boolean;
}

/** An occupant with the LiveKit session (participant sid) they are seen through. */
export interface Seat extends Occupant {
  readonly sid: string;
}

export type OccupancyEvent =
  | { readonly kind: 'joined'; readonly channelId: string; readonly participant: Occupant }
  | { readonly kind: 'left'; readonly channelId: string; readonly did: string }
  | { readonly kind: 'updated'; readonly channelId: string; readonly participant: Occupant };

/** The whole occupancy as plain data: what replicas share (shared-occupancy.ts). */
export interface OccupancyState {
  /** channel id -> seats in join order. */
  readonly channels: Record<string, Seat[]>;
  readonly versions: Record<string, number>;
  /** Ended LiveKit sessions, oldest first. */
  readonly left: string[];
}

export interface ChannelOccupants {
  readonly channelId: string;
  readonly participants: readonly Occupant[];
}

// Sids whose leave we saw, so a late or replayed "joined" for a finished session is
// ignored instead of bringing back a ghost. Bounded: old entries fall off.
const REMEMBERED_LEAVES = 1024;

export class ChannelOccupancy {
  readonly #channels = new Map<string, Map<string, Seat>>();
  readonly #versions = new Map<string, number>();
  readonly #left = new Set<string>();
  readonly #events = new EventEmitter();

  constructor(channelIds: readonly string[]) {
    for (const id of channelIds) {
      this.#channels.set(id, new Map());
      this.#versions.set(id, 0);
    }
    // Every WatchChannels stream subscribes; the default limit of 10 is a leak warning, not a cap.
    this.#events.setMaxListeners(0);
  }

  has(channelId: string): boolean {
    return this.#channels.has(channelId);
  }

  count(channelId: string): number {
    return this.#channels.get(channelId)?.size ?? 0;
  }

  isIn(channelId: string, did: string): boolean {
    return this.#channels.get(channelId)?.has(did) ?? false;
  }

  /** Where `did` is seated and through which LiveKit session, or undefined when in no channel. */
  seatOf(did: string): { readonly channelId: string; readonly sid: string } | undefined {
    for (const [channelId, seats] of this.#channels) {
      const seat = seats.get(did);
      if (seat) return { channelId, sid: seat.sid };
    }
    return undefined;
  }

  /** True when nobody is in any channel (the reconciliation then polls slowly). */
  get empty(): boolean {
    for (const seats of this.#channels.values()) if (seats.size > 0) return false;
    return true;
  }

  participants(channelId: string): Occupant[] {
    return [...(this.#channels.get(channelId)?.values() ?? [])].map(toOccupant);
  }

  snapshot(): ChannelOccupants[] {
    return [...this.#channels.keys()].map((channelId) => ({ channelId, participants: this.participants(channelId) }));
  }

  /**
   * Counts live changes (webhooks) per channel. The reconciliation reads it before asking
   * LiveKit and applies its answer only if it is unchanged, so a slow listing never undoes
   * a webhook that arrived meanwhile (that would make a person flicker out and back in).
   */
  version(channelId: string): number {
    return this.#versions.get(channelId) ?? 0;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: (event: OccupancyEvent) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  /**
   * Someone is in the channel through LiveKit session `seat.sid` (joined, or a newer session
   * took over). A person is in one call at a time (voice/one-call.ts ends the other one), so
   * a join anywhere takes them out of any other channel at once: the list never shows them
   * twice while LiveKit's "left" for the old room is on its way.
   */
  seat(channelId: string, seat: Seat): void {
    const seats = this.#live(channelId);
    if (!seats || this.#left.has(seat.sid)) return;
    for (const [otherId, other] of this.#channels) {
      if (otherId !== channelId && other.has(seat.did)) this.#remove(otherId, this.#live(otherId)!, seat.did);
    }
    this.#put(channelId, seats, seat);
  }

  setMuted(channelId: string, did: string, sid: string, muted: boolean): void {
    const seats = this.#live(channelId);
    const current = seats?.get(did);
    if (!seats || !current || current.sid !== sid) return;
    this.#put(channelId, seats, { ...current, muted });
  }

  /** Session `sid` of `did` ended. A leave of an older session (replaced by a rejoin) is ignored. */
  unseat(channelId: string, did: string, sid: string): void {
    this.#remember(sid);
    const seats = this.#live(channelId);
    if (seats?.get(did)?.sid === sid) this.#remove(channelId, seats, did);
  }

  /** The room ended: everyone left. */
  clear(channelId: string): void {
    const seats = this.#live(channelId);
    if (seats) for (const did of [...seats.keys()]) this.#remove(channelId, seats, did);
  }

  /**
   * Makes the channel match `truth` (LiveKit's participant list, in join order) if no live
   * change happened since `seenVersion`. Emits leaves, then updates, then joins.
   */
  reconcile(channelId: string, truth: readonly Seat[], seenVersion: number): boolean {
    const seats = this.#channels.get(channelId);
    if (!seats || this.version(channelId) !== seenVersion) return false;
    const wanted = new Map(truth.map((s) => [s.did, s]));
    for (const did of [...seats.keys()]) if (!wanted.has(did)) this.#remove(channelId, seats, did);
    for (const seat of wanted.values()) this.#put(channelId, seats, seat);
    return true;
  }

  toState(): OccupancyState {
    const channels: Record<string, Seat[]> = {};
    for (const [id, seats] of this.#channels) channels[id] = [...seats.values()];
    return { channels, versions: Object.fromEntries(this.#versions), left: [...this.#left] };
  }

  /**
   * Takes the whole state another writer made (channels not configured here are ignored)
   * and announces the differences to subscribers, as if each change had happened here.
   */
  load(state: OccupancyState): void {
    const before = new Map([...this.#channels].map(([id, seats]) => [id, new Map(seats)]));
    for (const id of this.#channels.keys()) {
      this.#channels.set(id, new Map((state.channels[id] ?? []).map((s) => [s.did, { ...toOccupant(s), sid: s.sid }])));
      this.#versions.set(id, state.versions[id] ?? 0);
    }
    this.#left.clear();
    for (const sid of state.left.slice(-REMEMBERED_LEAVES)) this.#left.add(sid);
    for (const event of occupancyDiff(before, this.#channels)) this.#emit(event);
  }

  #live(channelId: string): Map<string, Seat> | undefined {
    const seats = this.#channels.get(channelId);
    if (seats) this.#versions.set(channelId, this.version(channelId) + 1);
    return seats;
  }

  #put(channelId: string, seats: Map<string, Seat>, seat: Seat): void {
    const current = seats.get(seat.did);
    seats.set(seat.did, { ...toOccupant(seat), sid: seat.sid }); // an existing key keeps its place
    if (!current) this.#emit({ kind: 'joined', channelId, participant: toOccupant(seat) });
    else if (current.handle !== seat.handle || current.muted !== seat.muted) {
      this.#emit({ kind: 'updated', channelId, participant: toOccupant(seat) });
    }
  }

  #remove(channelId: string, seats: Map<string, Seat>, did: string): void {
    const seat = seats.get(did);
    if (!seat) return;
    seats.delete(did);
    this.#remember(seat.sid);
    this.#emit({ kind: 'left', channelId, did });
  }

  #remember(sid: string): void {
    this.#left.add(sid);
    if (this.#left.size > REMEMBERED_LEAVES) this.#left.delete(this.#left.values().next().value!);
  }

  #emit(event: OccupancyEvent): void {
    for (const listener of this.#events.listeners('change') as ((e: OccupancyEvent) => void)[]) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not stop the others from hearing about the change.
      }
    }
  }
}
