// The bare baseline page: livekit-client and nothing else (no app, no Svelte, no token
// RPC). The bench mints the token itself and calls window.bare.join(url, token): connect,
// subscribe to whatever is published, publish the microphone. Capture and publish use
// the app's own settings (src/lib/channels/livekit-engine.ts with the default voice
// preferences: echo cancellation, noise suppression, auto gain; the speech preset, DTX,
// RED), so the two send the same audio; the app's extras (Web Audio mix, adaptive
// stream, dynacast, its reconnect policy) are what the comparison measures.
import { AudioPresets, Room, RoomEvent, Track, createLocalAudioTrack } from 'livekit-client';

const CAPTURE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

let room: Room | undefined;

async function join(url: string, token: string): Promise<void> {
	const r = (room = new Room({ audioCaptureDefaults: CAPTURE, publishDefaults: { audioPreset: AudioPresets.speech, dtx: true, red: true } }));
	// Chromium pulls remote audio only for a playing element, as in the app.
	r.on(RoomEvent.TrackSubscribed, (track) => {
		if (track.kind === Track.Kind.Audio) document.body.append(track.attach());
	});
	await r.connect(url, token);
	await r.localParticipant.publishTrack(await createLocalAudioTrack(CAPTURE), { source: Track.Source.Microphone });
}

async function leave(): Promise<void> {
	await room?.disconnect();
	room = undefined;
	document.querySelectorAll('audio').forEach((a) => a.remove());
}

window.bare = { join, leave };
document.body.dataset.ready = 'true';
