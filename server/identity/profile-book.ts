// Everyone's profile as this server last read it (profile.ts), so that a channel list or a
// sign-in never waits on somebody's PDS. Written by CreateSession (a fresh read, waited for
// a moment) and by background refreshes; read by the participant lists (voice/profiled-
// occupancy.ts). A profile older than `maxAgeMs` is still served and refreshed in the
// background, one read per person at a time; a read that fails keeps what was known and is
// retried later, so a PDS that is down, slow or hostile only ever costs a missing name.
// In memory and bounded: each replica keeps its own; a miss is just a read.
import { EventEmitter } from 'node:events';
import type { Profile } from './profile.js';

export type ReadProfile = (did: string) => Promise<Profile>;

/** What a participant list shows of someone: their checked handle (if known), name and avatar. */
export interface KnownProfile {
  readonly handle: string | undefined;
  readonly displayName: string;
  readonly avatarUrl: string;
}

interface Entry {
  profile: KnownProfile | undefined;
  /** When the last read (good or failed) finished; 0 = never. */
  readAt: number;
  reading: Promise<void> | undefined;
}

export interface ProfileBookOptions {
  /** Age after which a profile is read again (default 5 min). */
  readonly maxAgeMs?: number;
  /** After a failed read, wait this long before trying again (default 1 min). */
  readonly retryMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class ProfileBook {
  readonly #entries = new Map<string, Entry>();
  readonly #events = new EventEmitter();
  readonly #maxAgeMs: number;
  readonly #retryMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly read: ReadProfile,
    options: ProfileBookOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.#retryMs = options.retryMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#events.setMaxListeners(0);
  }

  /** What is known of `did` now, never waiting; starts a background read when it is missing or old. */
  known(did: string): KnownProfile | undefined {
    const entry = this.#entry(did);
    if (!entry.reading && this.#now() - entry.readAt >= (entry.profile ? this.#maxAgeMs : this.#retryMs)) void this.#refresh(did, entry);
    return entry.profile;
  }

  /**
   * Reads `did`'s profile again (sign-in: a changed name shows at once) and waits for it at
   * most `waitMs`; then answers with what is known, which may be nothing. Never throws.
   */
  async fresh(did: string, waitMs: number): Promise<KnownProfile | undefined> {
    const entry = this.#entry(did);
    const reading = entry.reading ?? this.#refresh(did, entry);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return entry.profile;
  }

  /** Called with the DID whenever someone's known profile changed; returns the unsubscribe. */
  onChange(listener: (did: string) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  #entry(did: string): Entry {
    let entry = this.#entries.get(did);
    if (!entry) {
      entry = { profile: undefined, readAt: 0, reading: undefined };
      this.#entries.set(did, entry);
      while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry;
  }

  #refresh(did: string, entry: Entry): Promise<void> {
    const reading = this.read(did).then(
      (next) => {
        const before = entry.profile;
        // A handle that did not check out this time keeps the last one that did.
        const profile = { handle: next.handle ?? before?.handle, displayName: next.displayName, avatarUrl: next.avatarUrl };
        entry.profile = profile;
        entry.readAt = this.#now();
        if (!before || before.handle !== profile.handle || before.displayName !== profile.displayName || before.avatarUrl !== profile.avatarUrl) {
          for (const listener of this.#events.listeners('change') as ((did: string) => void)[]) {
            try {
              listener(did);
            } catch {
              // One broken subscriber must not stop the others from hearing about the change.
            }
          }
        }
      },
      () => {
        // Unreachable or misbehaving PDS: keep what we had; try again after retryMs.
        entry.readAt = this.#now() - (entry.profile ? this.#maxAgeMs - this.#retryMs : 0);
      },
    );
    entry.reading = reading.finally(() => (entry.reading = undefined));
    return entry.reading;
  }
}
