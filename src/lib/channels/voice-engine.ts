// The narrow seam between the call (VoiceRoom) and the media library. The LiveKit side
// lives in livekit-engine.ts and is imported on first join only; tests fake this interface.
import type { CallAudio } from './call-audio.js';

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

export interface EngineListener {
	link(state: LinkState, cause?: 'left' | 'lost'): void;
	people(list: RemoteVoice[]): void;
	audioBlocked(blocked: boolean): void;
	/** The published microphone track (for the local level meter), or undefined. */
	micTrack(track: MediaStreamTrack | undefined): void;
}

export interface VoiceEngine {
	connect(url: string, token: string, capture: CaptureSettings, outputDeviceId: string | undefined, listener: EngineListener): Promise<void>;
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

/** The real factory: livekit-client stays out of the first screen's bundle. */
export const loadLiveKitEngine = (audio: CallAudio): EngineFactory => () => import('./livekit-engine.js').then((m) => m.createLiveKitEngine(audio));
