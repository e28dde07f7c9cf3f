// The bare baseline page: livekit-client and nothing else (no app, no Svelte, no token
// RPC). The bench mints the token itself and calls window.bare.join(url, token): connect,
// subscribe to whatever is published, publish the microphone; every option is the
// library's default.
import { Room, RoomEvent, Track, createLocalAudioTrack } from 'livekit-client';

let room: Room | undefined;

async function join(url: string, token: string): Promise<void> {
	const r = (room = new Room());
	// Chromium pulls remote audio only for a playing element, as in the app.
	r.on(RoomEvent.TrackSubscribed, (track) => {
		if (track.kind === Track.Kind.Audio) document.body.append(track.attach());
	});
	await r.connect(url, token);
	await r.localParticipant.publishTrack(await createLocalAudioTrack(), { source: Track.Source.Microphone });
}

async function leave(): Promise<void> {
	await room?.disconnect();
	room = undefined;
	document.querySelectorAll('audio').forEach((a) => a.remove());
}

window.bare = { join, leave };
document.body.dataset.ready = 'true';
