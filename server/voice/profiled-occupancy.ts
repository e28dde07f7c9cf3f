// The occupancy as clients see it: each person with their display name, avatar and current
// handle from the profile book. ListChannels and WatchChannels read this view; the occupancy
// itself (who is where, from LiveKit) knows nothing of profiles. When someone's profile
// changes while they are in a channel (read in the background, profile-book.ts), streams get
// a ParticipantUpdated for them, so an open list follows a new name or avatar.
import type { KnownProfile, ProfileBook } from '../identity/profile-book.js';
import type { ChannelOccupancy, Occupant, OccupancyEvent } from './occupancy.js';

/** A person in a channel with their profile (the contract's Participant). */
export interface Person extends Occupant {
  readonly displayName: string;
  readonly avatarUrl: string;
}

/** What the channel list readers need of an occupancy (voice/watch.ts). */
export interface OccupancyView {
  participants(channelId: string): Occupant[];
  subscribe(listener: (event: OccupancyEvent) => void): () => void;
}

export function withProfile(occupant: Occupant, profile: KnownProfile | undefined): Person {
  return {
    did: occupant.did,
    handle: profile?.handle ?? occupant.handle,
    muted: occupant.muted,
    displayName: profile?.displayName ?? '',
    avatarUrl: profile?.avatarUrl ?? '',
  };
}

/**
 * The view holds one subscription to the occupancy and one to the profile book however many
 * streams are open, and hands every stream the same event object: a join is dressed with its
 * profile once, not once per stream (with 2,000 open lists, that was 2,000 copies of it).
 */
export function profiledOccupancy(occupancy: ChannelOccupancy, profiles: ProfileBook): OccupancyView {
  const person = (o: Occupant) => withProfile(o, profiles.known(o.did));
  const listeners = new Set<(event: OccupancyEvent) => void>();
  // As with an EventEmitter, a listener added or removed while an event is handed out does not change who gets that event.
  const emit = (event: OccupancyEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  let stop: (() => void) | undefined;
  const start = () => {
    const stopOccupancy = occupancy.subscribe((e) => emit(e.kind === 'left' ? e : { ...e, participant: person(e.participant) }));
    const stopProfiles = profiles.onChange((did) => {
      for (const { channelId, participants } of occupancy.snapshot()) {
        const occupant = participants.find((p) => p.did === did);
        if (occupant) emit({ kind: 'updated', channelId, participant: person(occupant) });
      }
    });
    return () => {
      stopOccupancy();
      stopProfiles();
    };
  };
  return {
    participants: (channelId) => occupancy.participants(channelId).map(person),
    subscribe(listener) {
      listeners.add(listener);
      stop ??= start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
  };
}
