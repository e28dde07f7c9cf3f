// VoiceEngine on livekit-client. Only voice-engine.ts imports this, dynamically, on the first
// join. Remote audio plays through the call's AudioContext (webAudioMix, opened in the Join
// tap: see call-audio.ts) so that each person's volume is a GainNode (0-200 %, works on iOS
// where element volume is read-only).
import {
	AudioPresets,
	ConnectionError,
	ConnectionErrorReason,
	ConnectionState,
	DisconnectReason,
	MediaDeviceFailure,
	Room,
	createLocalAudioTrack,
	RoomEvent,
	Track,
	type RemoteAudioTrack,
	type RemoteParticipant
} from 'livekit-client';
import { CallEnded, type CaptureSettings, type EndCause, type EngineListener, type FinalEnd, type LinkState, type MicProblem, type RemoteVoice, type VoiceEngine } from './voice-engine.js';
import { voiceReconnectPolicy } from './reconnect-policy.js';
import type { CallAudio } from './call-audio.js';
import type { CallPrivacy } from './e2ee/call-privacy.svelte.js';
import { roomEncryption, type RoomEncryption } from './e2ee/livekit-e2ee.js';

const LINK: Record<ConnectionState, LinkState> = {
	[ConnectionState.Disconnected]: 'disconnected',
	[ConnectionState.Connecting]: 'connecting',
	[ConnectionState.Connected]: 'connected',
	[ConnectionState.Reconnecting]: 'reconnecting',
	[ConnectionState.SignalReconnecting]: 'reconnecting'
};

// The server's reasons that end a call for good (voice-engine.ts, EndCause).
const FINAL: Partial<Record<DisconnectReason, FinalEnd>> = {
	[DisconnectReason.DUPLICATE_IDENTITY]: 'replaced',
	[DisconnectReason.PARTICIPANT_REMOVED]: 'removed',
	[DisconnectReason.ROOM_DELETED]: 'closed'
};

function endCause(reason: DisconnectReason | undefined): EndCause {
	if (reason === DisconnectReason.CLIENT_INITIATED) return 'left';
	return (reason !== undefined && FINAL[reason]) || 'lost';
}

const FAILURE: Record<MediaDeviceFailure, MicProblem> = {
	[MediaDeviceFailure.PermissionDenied]: 'denied',
	[MediaDeviceFailure.NotFound]: 'missing',
	[MediaDeviceFailure.DeviceInUse]: 'in-use',
	[MediaDeviceFailure.Other]: 'other'
};

export function createLiveKitEngine(audio: CallAudio, privacy: CallPrivacy): VoiceEngine {
	let room: Room | undefined;
	let encryption: RoomEncryption | undefined;
	let listener: EngineListener | undefined;
	let stopWatchingMix = () => {};
	const gains = new Map<string, number>();
	const nodes = new Map<string, GainNode>();
	let capture: CaptureSettings | undefined;
	let lastSession: string | undefined;
	// The Room every join warm-up uses: it never connects, so one serves them all. A Room
	// per warm-up was never disconnected, and each one lived on (its devicechange listener,
	// its engine) for as long as the page did.
	let warmer: Room | undefined;

	const people = (): RemoteVoice[] =>
		[...(room?.remoteParticipants.values() ?? [])].map((p: RemoteParticipant) => ({
			identity: p.identity,
			name: p.name || p.identity,
			muted: !p.isMicrophoneEnabled,
			speaking: p.isSpeaking
		}));
	// One list per burst of LiveKit events, after the burst: joining a channel of N people,
	// livekit-client fires a participant event and a track event for each of them in one go,
	// and a list of N people built (and handed to the screen) for each made the join O(N²).
	let peopleDue = false;
	const emitPeople = () => {
		if (peopleDue) return;
		peopleDue = true;
		queueMicrotask(() => {
			peopleDue = false;
			listener?.people(people());
		});
	};
	const micTrack = () => room?.localParticipant.getTrackPublication(Track.Source.Microphone)?.track?.mediaStreamTrack;

	function route(track: RemoteAudioTrack, identity: string, mix: AudioContext) {
		const gain = mix.createGain();
		gain.gain.value = gains.get(identity) ?? 1;
		nodes.set(identity, gain);
		track.setWebAudioPlugins([gain]);
		// Chromium pulls remote WebRTC audio only for a playing element; LiveKit mutes it
		// and plays the sound through the AudioContext instead.
		track.attach();
	}

	return {
		// A Room that never connects: prepareConnection warms the server's address, not the
		// Room (with no LiveKit Cloud token it is one HEAD request, which LiveKit answers with CORS).
		prepare: (url) => (warmer ??= new Room()).prepareConnection(url),
		async connect(url, token, settings, outputDeviceId, l) {
			await this.disconnect();
			capture = settings;
			listener = l;
			const mix = audio.open();
			// Every call is end-to-end encrypted: the device key of this token's request is
			// required, never skipped (no plain fallback), unless the channel is listed as not
			// encrypted (then no worker, no key exchange, no call code).
			const key = privacy.keyFor(token);
			if (!key && !privacy.isPlain(token)) throw new Error('no device key for this join');
			const e2ee = (encryption = key ? roomEncryption(key, privacy) : undefined);
			const r = (room = new Room({
				adaptiveStream: true,
				dynacast: true,
				webAudioMix: { audioContext: mix },
				audioCaptureDefaults: settings,
				audioOutput: outputDeviceId ? { deviceId: outputDeviceId } : undefined,
				// RED is turned off by livekit-client anyway with E2EE.
				publishDefaults: { audioPreset: AudioPresets.speech, dtx: true, red: true },
				reconnectPolicy: voiceReconnectPolicy,
				// Not `encryption:`: it would also encrypt data packets with the media key,
				// which the key envelopes must travel without.
				e2ee: e2ee?.options
			}));
			e2ee?.listen(r);
			// Events of a room this engine already left go nowhere.
			const to = () => (r === room ? listener : undefined);
			// Sound is blocked while the mix is not running, too: LiveKit reads the context's
			// state only when it connects, and iOS suspends it mid-call (a phone call, Siri).
			const reportBlocked = () => to()?.audioBlocked(!r.canPlaybackAudio || mix.state !== 'running');
			const mixChanged = () => {
				if (mix.state === 'running' && !r.canPlaybackAudio) void r.startAudio().catch(() => {});
				reportBlocked();
			};
			mix.addEventListener('statechange', mixChanged);
			stopWatchingMix = () => mix.removeEventListener('statechange', mixChanged);
			r
				.on(RoomEvent.ConnectionStateChanged, (s) => {
					// LiveKit's own full reconnect makes a new session (a new sid).
					if (s === ConnectionState.Connected && r === room) lastSession = r.localParticipant.sid || lastSession;
					if (s !== ConnectionState.Disconnected) to()?.link(LINK[s]);
				})
				.on(RoomEvent.Disconnected, (reason) => to()?.link('disconnected', endCause(reason)))
				.on(RoomEvent.ParticipantConnected, emitPeople)
				.on(RoomEvent.ParticipantDisconnected, (p) => {
					nodes.delete(p.identity);
					emitPeople();
				})
				.on(RoomEvent.ParticipantNameChanged, emitPeople)
				.on(RoomEvent.TrackMuted, emitPeople)
				.on(RoomEvent.TrackUnmuted, emitPeople)
				.on(RoomEvent.TrackPublished, emitPeople)
				.on(RoomEvent.TrackUnpublished, emitPeople)
				.on(RoomEvent.ActiveSpeakersChanged, emitPeople)
				.on(RoomEvent.TrackSubscribed, (track, _pub, p) => {
					if (track.kind === Track.Kind.Audio) route(track as RemoteAudioTrack, p.identity, mix);
					emitPeople();
				})
				.on(RoomEvent.TrackUnsubscribed, (track) => {
					track.detach();
					emitPeople();
				})
				.on(RoomEvent.AudioPlaybackStatusChanged, reportBlocked)
				.on(RoomEvent.LocalTrackPublished, () => to()?.micTrack(micTrack()))
				.on(RoomEvent.LocalTrackUnpublished, () => to()?.micTrack(micTrack()));
			await r.connect(url, token).catch((err: unknown) => {
				// The server answered the join with a leave (another device took the call meanwhile).
				const end = err instanceof ConnectionError && err.reason === ConnectionErrorReason.LeaveRequest ? FINAL[err.context as DisconnectReason] : undefined;
				throw end ? new CallEnded(end) : err;
			});
			lastSession = r.localParticipant.sid || lastSession;
			// Before the microphone is published (VoiceRoom publishes after connect resolves).
			if (r === room) await e2ee?.start(r);
			emitPeople();
			reportBlocked();
		},
		lastSession: () => lastSession,
		async publishMic(muted) {
			if (!room) return 'other';
			try {
				// Muted before it is published: a rejoin while muted never leaks a moment of sound.
				const track = await createLocalAudioTrack(capture);
				if (muted) await track.mute();
				await room.localParticipant.publishTrack(track, { source: Track.Source.Microphone });
				listener?.micTrack(micTrack());
				return undefined;
			} catch (err) {
				return FAILURE[MediaDeviceFailure.getFailure(err) ?? MediaDeviceFailure.Other];
			}
		},
		async setMicMuted(muted) {
			const pub = room?.localParticipant.getTrackPublication(Track.Source.Microphone);
			if (!pub?.track) return;
			if (muted) await pub.mute();
			else await pub.unmute();
		},
		setGain(identity, gain) {
			gains.set(identity, gain);
			const node = nodes.get(identity);
			node?.gain.setTargetAtTime(gain, node.context.currentTime, 0.02);
		},
		startAudio: async () => {
			// Both start before the first await, inside the tap (Safari forgets it after one).
			const resumed = audio.resume();
			const started = room?.startAudio().catch(() => {}); // refused: the banner stays
			await Promise.all([resumed, started]);
			listener?.audioBlocked(!room?.canPlaybackAudio || audio.context?.state !== 'running');
		},
		async useDevice(kind, deviceId) {
			// The others' voices play through the AudioContext: without its setSinkId (Safari;
			// Firefox 153 has it on media elements only) the system's output is the only one, and settings hide the choice.
			if (kind === 'audiooutput' && !(audio.context && 'setSinkId' in audio.context)) return;
			await room?.switchActiveDevice(kind, deviceId);
			if (kind === 'audioinput') listener?.micTrack(micTrack());
		},
		async disconnect() {
			const r = room;
			room = undefined;
			listener = undefined; // a left call reports nothing more
			encryption?.stop();
			encryption = undefined;
			stopWatchingMix();
			// A room stuck mid-resume may never finish leaving: a rejoin waits for it a moment,
			// not for ever (its events already go nowhere).
			await Promise.race([r?.disconnect(), new Promise((done) => setTimeout(done, 3000))]);
			nodes.clear();
		}
	};
}
