// How one WatchChannels event changes the list of channels. Pure, so the directory's
// behaviour on every event can be proven without a stream.
import type { Channel, Participant, WatchChannelsResponse } from '$lib/gen/microclimate/channels/v1/channels_pb.js';

export interface Person {
	did: string;
	handle: string;
	muted: boolean;
	/** Profile display name ('' when none) and avatar URL ('' when none); see $lib/api/faces. */
	displayName: string;
	avatarUrl: string;
}

function personOf({ did, handle, muted, displayName, avatarUrl }: Participant): Person {
	return { did, handle, muted, displayName, avatarUrl };
}

export interface ChannelView {
	id: string;
	name: string;
	people: Person[];
	/** People it holds at most (0: no limit); unknown from a server that does not say. */
	max?: number;
	/** The server declares its calls not end-to-end encrypted (Channel.e2ee false): joined without keys. */
	plain?: true;
}

function fromChannel(c: Channel): ChannelView {
	const view: ChannelView = { id: c.id, name: c.name, people: c.participants.map(personOf) };
	if (c.maxParticipants !== undefined) view.max = c.maxParticipants;
	if (!c.e2ee) view.plain = true;
	return view;
}

function withPeople(list: ChannelView[], channelId: string, change: (people: Person[]) => Person[]): ChannelView[] {
	return list.map((c) => (c.id === channelId ? { ...c, people: change(c.people) } : c));
}

/**
 * The list after `event`. A snapshot replaces everything (that is what keeps a resumed
 * stream free of stale people); a heartbeat changes nothing. A person is in one channel at
 * a time, so a join removes them from any other channel first.
 */
export function applyEvent(list: ChannelView[], event: WatchChannelsResponse['event']): ChannelView[] {
	switch (event.case) {
		case 'snapshot':
			return event.value.channels.map(fromChannel);
		case 'joined': {
			const p = event.value.participant;
			if (!p) return list;
			const person = personOf(p);
			const others = list.map((c) => (c.people.some((x) => x.did === p.did) ? { ...c, people: c.people.filter((x) => x.did !== p.did) } : c));
			return withPeople(others, event.value.channelId, (people) => [...people, person]);
		}
		case 'left': {
			const { did } = event.value;
			return withPeople(list, event.value.channelId, (people) => people.filter((x) => x.did !== did));
		}
		case 'updated': {
			const p = event.value.participant;
			if (!p) return list;
			return withPeople(list, event.value.channelId, (people) => people.map((x) => (x.did === p.did ? personOf(p) : x)));
		}
		default:
			return list;
	}
}
