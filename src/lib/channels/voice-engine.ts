// The narrow seam between the call (VoiceRoom) and the media library. The LiveKit side
// lives in livekit-engine.ts and is imported on first join only; tests fake this interface.
import type { CallAudio } from './call-audio.js';
import type { CallPrivacy } from './e2ee/call-privacy.svelte.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** Why the microphone could not be published. */
export type MicProblem = 'denied' | 'missing' | 'in-use' | 'other';

export interface RemoteVoice {
	/** LiveKit identity: the person's DID. */
	identity: string;
	/** LiveKit name: the handle. */
	name: string;
	muted: boolean;
	speaking: boolean;
}

export interface CaptureSettings {
	echoCancellation: boolean;
	noiseSuppression: boolean;
	autoGainControl: boolean;
	deviceId?: string;
}

/**
 * Why a call ended. `left`: this tab left; `lost`: the connection failed (the app rejoins).
 * The rest are final, never rejoined by the app: `replaced`, the same person joined the
 * room on another device (LiveKit's DUPLICATE_IDENTITY; rejoining would kick that device
 * and start a loop); `removed`, the server took them out (PARTICIPANT_REMOVED: they joined
 * another channel elsewhere); `closed`, the room was deleted (ROOM_DELETED).
 */
export type EndCause = 'left' | 'lost' | 'replaced' | 'removed' | 'closed';
export type FinalEnd = Exclude<EndCause, 'left' | 'lost'>;

/** A join that the server answered by ending the call (see EndCause); final. */
export class CallEnded extends Error {
	readonly end: FinalEnd;
	constructor(end: FinalEnd) {
		super(`call ended: ${end}`);
		this.name = 'CallEnded';
		this.end = end;
	}
}

export interface EngineListener {
	link(state: LinkState, cause?: EndCause): void;
	people(list: RemoteVoice[]): void;
	audioBlocked(blocked: boolean): void;
	/** The published microphone track (for the local level meter), or undefined. */
	micTrack(track: MediaStreamTrack | undefined): void;
}

export interface VoiceEngine {
	/**
	 * Warms the connection to a LiveKit server before a join (LiveKit's prepareConnection:
	 * DNS, TCP and TLS to `url`). Takes no token; never rejects.
	 */
	prepare(url: string): Promise<void>;
	connect(url: string, token: string, capture: CaptureSettings, outputDeviceId: string | undefined, listener: EngineListener): Promise<void>;
	/**
	 * This device's LiveKit session (participant sid) in the latest call it connected, kept
	 * after that call was lost or left; undefined before the first. An automatic rejoin names
	 * it to the server, which tells this device's own stale seat from another device's call.
	 */
	lastSession(): string | undefined;
	/** Captures and publishes the mic; resolves to why it could not, or undefined. */
	publishMic(muted: boolean): Promise<MicProblem | undefined>;
	setMicMuted(muted: boolean): Promise<void>;
	/** Playback gain of one person (0 silences, 1 as sent, up to 2), through Web Audio. */
	setGain(identity: string, gain: number): void;
	startAudio(): Promise<void>;
	useDevice(kind: 'audioinput' | 'audiooutput', deviceId: string): Promise<void>;
	disconnect(): Promise<void>;
}

export type EngineFactory = () => Promise<VoiceEngine>;

/** The call engine's code could not be loaded (after a deploy its chunk may be gone). */
export class EngineUnavailable extends Error {
	constructor(cause: unknown) {
		super('the call engine could not be loaded', { cause });
		this.name = 'EngineUnavailable';
	}
}

/** The real factory: livekit-client (and its E2EE worker) stays out of the first screen's bundle. */
export const loadLiveKitEngine = (audio: CallAudio, privacy: CallPrivacy): EngineFactory => () =>
	import('./livekit-engine.js').then(
		(m) => m.createLiveKitEngine(audio, privacy),
		(err: unknown) => {
			throw new EngineUnavailable(err);
		}
	);
