// Presence across replicas. The occupancy is one document in the server's store; every
// change (a webhook, the reconciliation) is made on the newest document with the same
// rules as ever (ChannelOccupancy), written back with a compare-and-set, and published:
// every replica's local view takes the new version in and its WatchChannels streams send
// the differences. A webhook may reach any replica; all lists move together.
//
// Each replica changes only the channels it is configured with and passes the others through
// as it found them, so replicas with different channel lists (a rolling config change) never
// undo each other's people.
//
// With the in-memory store this is the same path within one process. If the store lost the
// document (a Redis restart without persistence), the next change starts from this
// replica's last view, not from nobody: people stay listed, and the reconciliation
// corrects whatever changed meanwhile.
import { StoreUnavailableError, type Store, type Versioned } from '../store/store.js';
import { ChannelOccupancy, type OccupancyEvent, type OccupancyState, type Seat } from './occupancy.js';

export const OCCUPANCY_DOC = 'occupancy';
// Concurrent writers retry on the newer document; many losses in a row mean something is wrong.
const MAX_ATTEMPTS = 50;

export class SharedOccupancy {
  /** This replica's copy, always the newest version it heard of; readers use it. */
  readonly view: ChannelOccupancy;
  readonly #store: Store;
  readonly #channelIds: readonly string[];
  #doc: Versioned | undefined;
  #unwatch: (() => void) | undefined;

  private constructor(store: Store, channelIds: readonly string[]) {
    this.#store = store;
    this.#channelIds = channelIds;
    this.view = new ChannelOccupancy(channelIds);
  }

  /** Subscribes, then reads the current document (a store that is down now is caught up on later). */
  static async open(store: Store, channelIds: readonly string[]): Promise<SharedOccupancy> {
    const shared = new SharedOccupancy(store, channelIds);
    shared.#unwatch = await store.watch(OCCUPANCY_DOC, (doc) => shared.#accept(doc));
    shared.#accept(await store.read(OCCUPANCY_DOC).catch(() => undefined));
    return shared;
  }

  close(): void {
    this.#unwatch?.();
  }

  // Readers: this replica's view.
  has = (channelId: string) => this.view.has(channelId);
  count = (channelId: string) => this.view.count(channelId);
  isIn = (channelId: string, did: string) => this.view.isIn(channelId, did);
  participants = (channelId: string) => this.view.participants(channelId);
  snapshot = () => this.view.snapshot();
  version = (channelId: string) => this.view.version(channelId);
  subscribe = (listener: (event: OccupancyEvent) => void) => this.view.subscribe(listener);
  get empty(): boolean {
    return this.view.empty;
  }

  // Writers: the shared document.
  async seat(channelId: string, seat: Seat): Promise<void> {
    await this.#change((o) => o.seat(channelId, seat));
  }

  async setMuted(channelId: string, did: string, sid: string, muted: boolean): Promise<void> {
    await this.#change((o) => o.setMuted(channelId, did, sid, muted));
  }

  async unseat(channelId: string, did: string, sid: string): Promise<void> {
    await this.#change((o) => o.unseat(channelId, did, sid));
  }

  async clear(channelId: string): Promise<void> {
    await this.#change((o) => o.clear(channelId));
  }

  reconcile(channelId: string, truth: readonly Seat[], seenVersion: number): Promise<boolean> {
    return this.#change((o) => o.reconcile(channelId, truth, seenVersion));
  }

  /** Keeps the newest document: a new epoch (the store was reset) or a higher version. */
  #accept(doc: Versioned | undefined): void {
    if (doc === undefined) return; // nothing stored (yet, or any more): keep the last view
    const current = this.#doc;
    if (current && current.epoch === doc.epoch && current.version >= doc.version) return;
    this.#doc = doc;
    this.view.load(JSON.parse(doc.value) as OccupancyState);
  }

  async #change<T>(change: (occupancy: ChannelOccupancy) => T): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#store.read(OCCUPANCY_DOC);
      const base = current ? (JSON.parse(current.value) as OccupancyState) : this.view.toState();
      const draft = new ChannelOccupancy(this.#channelIds);
      draft.load(base);
      const result = change(draft);
      const value = JSON.stringify(withChannelsOf(base, draft.toState()));
      if (current?.value === value) return result;
      const written = await this.#store.replace(OCCUPANCY_DOC, current, value);
      if (written) {
        this.#accept(written);
        return result;
      }
    }
    throw new StoreUnavailableError('the channel lists are changing too fast to record this change; it will be retried');
  }
}

/**
 * `mine` (the channels this replica is configured with, after its change) over `base` (the
 * document it started from). Channels this replica does not know pass through untouched:
 * during a rolling change of MICROCLIMATE_CHANNELS the replicas still on the old list must
 * not delete the people in the channels the new ones added (nor keep the removed ones empty).
 */
export function withChannelsOf(base: OccupancyState, mine: OccupancyState): OccupancyState {
  return {
    channels: { ...base.channels, ...mine.channels },
    versions: { ...base.versions, ...mine.versions },
    left: mine.left,
  };
}
