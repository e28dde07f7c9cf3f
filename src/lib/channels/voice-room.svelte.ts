// The call this tab is in. Written by the call controls (join, leave, mute, deafen, push-to-
// talk, volumes) and by the media engine's events; read by the channel list, the call dock
// and the settings screen. One per signed-in layout, handed down through call-context.
//
// livekit-client arrives through `engine` (a dynamic import) on the first join only. A call
// lost for good (not one LiveKit resumes by itself within RESUME_DEADLINE_MS) is rejoined
// with a fresh token, with backoff, keeping the mute state: the person never has to click
// anything. Such a rejoin says so to the server, which refuses it while the person is in a
// call on another device (their phone took over while this laptop was offline): the call
// then ends here as taken over, never taken back. A call the server ended on purpose (the
// same person joined on another device, or was removed, or the room was deleted) is never
// rejoined: `ended` says why, and the person may take it back.
import type { Client } from '@connectrpc/connect';
import type { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { type EndCause, type EngineFactory, type FinalEnd, type LinkState, type MicProblem, type RemoteVoice, type VoiceEngine } from './voice-engine.js';
import type { VoicePrefs } from './voice-prefs.svelte.js';
import { Mixer } from './mixer.svelte.js';
import { backoffDelay } from './backoff.js';
import { describeJoinError, endedByServer } from './call-errors.js';
import { UNSUPPORTED_TEXT } from './call-support.js';
import { EngineLoader } from './engine-loader.js';

/**
 * How long LiveKit may try to resume a call by itself before the app rejoins with a fresh
 * token and a fresh room. LiveKit's resume can hang for good (Firefox, after a restarted SFU
 * refused the resume: its signal client waits on a lock the failed attempt never released,
 * with no timeout), and a hung resume never reports "lost".
 */
export const RESUME_DEADLINE_MS = 15_000;

export type CallStatus = 'idle' | Exclude<LinkState, 'disconnected'>;

/** A call the server ended for good: why, and in which channel. */
export interface EndedCall {
	end: FinalEnd;
	channelId: string;
}

export interface VoiceRoomDeps {
	/** The channels client; a promise while the transport's chunk is still loading. */
	client: () => Client<typeof ChannelsService> | Promise<Client<typeof ChannelsService>>;
	engine: EngineFactory;
	/** Whether this browser can make calls at all (WebRTC, Web Audio): asked before joining. */
	supported: () => boolean;
	/** The call's AudioContext: opened inside the Join tap, closed when the call ends. */
	audio: { open(): void; close(): void };
	prefs: () => VoicePrefs;
	announce: (text: string) => void;
	sounds: { joined(): void; left(): void };
	holdWakeLock: () => () => void;
	meter: (track: MediaStreamTrack, onLevel: (level: number) => void) => () => void;
	speaking: () => (level: number) => boolean;
}

export class VoiceRoom {
	readonly mixer = new Mixer();
	#channelId = $state<string>();
	#status = $state<CallStatus>('idle');
	#muted = $state(false);
	#mutedBeforeDeafen = false;
	#pttHeld = $state(false);
	#micProblem = $state<MicProblem>();
	#audioBlocked = $state(false);
	#people = $state.raw<RemoteVoice[]>([]);
	#selfSpeaking = $state(false);
	#error = $state<string>();
	#ended = $state.raw<EndedCall>();
	#engine: VoiceEngine | undefined;
	readonly #loader: EngineLoader;
	#generation = 0;
	#releaseWakeLock: (() => void) | undefined;
	#stopMeter: (() => void) | undefined;
	#resumeDeadline: ReturnType<typeof setTimeout> | undefined;
	/** An engine.connect in flight: its failure is reported by its rejection, not by link(). */
	#connectPending: object | undefined;
	/**
	 * This chain of attempts rejoins a call this device had (it connected once since the last
	 * tap on Join): its token requests are automatic rejoins, which never take the call from
	 * another device. Retries of a tap that never connected are still that tap's join.
	 */
	#rejoining = false;

	readonly #deps: VoiceRoomDeps;

	constructor(deps: VoiceRoomDeps) {
		this.#deps = deps;
		this.#loader = new EngineLoader(deps.engine);
	}

	get channelId() { return this.#channelId; }
	get status() { return this.#status; }
	get muted() { return this.#muted; }
	get deafened() { return this.mixer.deafened; }
	get pushToTalkHeld() { return this.#pttHeld; }
	/** Whether the microphone sends sound right now (mute, deafen and push-to-talk applied). */
	get micOpen() { return !this.#micProblem && !this.mixer.deafened && (!this.#muted || this.#pttHeld); }
	get micProblem() { return this.#micProblem; }
	get audioBlocked() { return this.#audioBlocked; }
	get people() { return this.#people; }
	get selfSpeaking() { return this.#selfSpeaking && this.micOpen; }
	get error() { return this.#error; }
	/** The call the server ended (another device took it…); cleared by the next join. */
	get ended() { return this.#ended; }

	/**
	 * A join looks near (a press on, or focus in, a Join button): loads the engine and warms
	 * the way to LiveKit (engine-loader.ts). In a call both are warm already.
	 */
	prepare(): void {
		if (this.#status === 'idle' && this.#deps.supported()) this.#loader.prepare();
	}

	/** Joins `channelId`, leaving any other channel first (one tap switches). */
	async join(channelId: string): Promise<void> {
		if (this.#channelId === channelId && this.#status !== 'idle') return;
		if (!this.#deps.supported()) return this.#fail(UNSUPPORTED_TEXT);
		// The token request leaves first; the rest of the tap (the AudioContext, leaving the
		// other channel) runs while it travels. Leaving is safe to overlap: the old call's
		// events are cut off (generation, engine listener) before any answer can arrive.
		const grant = this.#requestGrant(channelId, false);
		grant.catch(() => {}); // awaited in #connect, after the disconnect below
		this.#deps.audio.open(); // before any await: Safari starts sound only inside the tap
		if (this.#channelId) await this.#disconnect();
		this.#channelId = channelId;
		this.#error = undefined;
		this.#ended = undefined;
		this.#rejoining = false;
		this.#releaseWakeLock ??= this.#deps.holdWakeLock();
		await this.#connect(++this.#generation, 0, grant);
	}

	#requestGrant(channelId: string, rejoin: boolean): Promise<{ livekitUrl: string; token: string }> {
		try {
			const request = rejoin ? { channelId, rejoin: { lostSession: this.#engine?.lastSession() ?? '' } } : { channelId };
			// A loaded transport sends the request now, inside the tap; one still loading, once it is there.
			const client = this.#deps.client();
			return client instanceof Promise ? client.then((c) => c.getChannelToken(request)) : client.getChannelToken(request);
		} catch (err) {
			return Promise.reject(err); // no session: judged with the other join errors
		}
	}

	async #connect(generation: number, attempt: number, early?: Promise<{ livekitUrl: string; token: string }>): Promise<void> {
		const channelId = this.#channelId!;
		this.#status = attempt ? 'reconnecting' : 'connecting';
		try {
			// The token request and (on the first join) the engine's chunk travel together.
			const [grant, engine] = await Promise.all([early ?? this.#requestGrant(channelId, this.#rejoining), this.#engine ?? this.#loader.engine()]);
			this.#engine ??= engine;
			this.#loader.remember(grant.livekitUrl);
			if (generation !== this.#generation) return;
			const p = this.#deps.prefs();
			const pending = (this.#connectPending = {});
			await engine.connect(grant.livekitUrl, grant.token, { echoCancellation: p.echoCancellation, noiseSuppression: p.noiseSuppression, autoGainControl: p.autoGainControl, deviceId: p.inputDeviceId || undefined }, p.outputDeviceId || undefined, {
				link: (state, cause) => generation === this.#generation && this.#onLink(state, cause, generation),
				people: (list) => generation === this.#generation && this.#onPeople(list),
				audioBlocked: (blocked) => (this.#audioBlocked = blocked),
				micTrack: (track) => generation === this.#generation && this.#meter(track)
			}).finally(() => this.#connectPending === pending && (this.#connectPending = undefined));
			if (generation !== this.#generation) return void engine.disconnect();
			this.#status = 'connected';
			this.#rejoining = true;
			this.#deps.announce(attempt ? 'Reconnected.' : 'Connected.');
			if (!attempt && this.#deps.prefs().sounds) this.#deps.sounds.joined();
			this.#micProblem = await engine.publishMic(!this.micOpen);
		} catch (err) {
			if (generation !== this.#generation) return;
			const end = endedByServer(err);
			if (end) return this.#endFor(end);
			const message = describeJoinError(err, this.#deps.supported);
			if (message.final) return this.#fail(message.text);
			await this.#engine?.disconnect();
			await new Promise((r) => setTimeout(r, backoffDelay(attempt, { baseMs: 500, maxMs: 8000 })));
			if (generation === this.#generation) await this.#connect(generation, attempt + 1);
		}
	}

	#onLink(state: LinkState, cause: EndCause | undefined, generation: number): void {
		if (state !== 'reconnecting') this.#stopResumeDeadline();
		else this.#resumeDeadline ??= setTimeout(() => this.#resumeStalled(generation), RESUME_DEADLINE_MS);
		if (state === 'disconnected') {
			// A join attempt that fails also ends its room (livekit-client emits Disconnected, then
			// rejects connect): the rejection retries it. Rejoining here too started a second
			// chain of attempts, each one's connect cutting off the other's call.
			if (this.#connectPending) return;
			if (cause === 'replaced' || cause === 'removed' || cause === 'closed') return this.#endFor(cause);
			if (cause !== 'lost') return;
			this.#deps.announce('Connection lost. Reconnecting…');
			void this.#connect(generation, 1);
			return;
		}
		if (state === this.#status) return;
		if (state === 'reconnecting') this.#deps.announce('Connection lost. Reconnecting…');
		if (state === 'connected' && this.#status === 'reconnecting') this.#deps.announce('Reconnected.');
		this.#status = state;
	}

	#stopResumeDeadline(): void {
		clearTimeout(this.#resumeDeadline);
		this.#resumeDeadline = undefined;
	}

	/** LiveKit did not resume in time: the call is treated as lost and rejoined. */
	#resumeStalled(generation: number): void {
		this.#resumeDeadline = undefined;
		if (generation !== this.#generation) return;
		void this.#connect(++this.#generation, 1);
	}

	#onPeople(list: RemoteVoice[]): void {
		const before = new Set(this.#people.map((p) => p.identity));
		const now = new Set(list.map((p) => p.identity));
		for (const p of list) {
			this.#engine?.setGain(p.identity, this.mixer.gain(p.identity));
			if (!before.has(p.identity)) this.#arrived(p.name, 'joined');
		}
		for (const p of this.#people) if (!now.has(p.identity)) this.#arrived(p.name, 'left');
		this.#people = list;
	}

	#arrived(name: string, what: 'joined' | 'left'): void {
		this.#deps.announce(`${name} ${what}.`);
		if (this.#deps.prefs().sounds) this.#deps.sounds[what]();
	}

	#meter(track: MediaStreamTrack | undefined): void {
		this.#stopMeter?.();
		this.#stopMeter = undefined;
		this.#selfSpeaking = false;
		if (!track) return;
		const gate = this.#deps.speaking();
		this.#stopMeter = this.#deps.meter(track, (level) => (this.#selfSpeaking = gate(level)));
	}

	#endFor(end: FinalEnd): void {
		const channelId = this.#channelId;
		if (!channelId) return;
		this.#deps.audio.close();
		void this.#disconnect();
		this.#ended = { end, channelId };
		this.#deps.announce(end === 'closed' ? 'The channel was closed.' : 'You joined on another device. This call ended here.');
	}

	#fail(text: string): void {
		this.#error = text;
		this.#deps.audio.close();
		void this.#disconnect();
	}

	async leave(): Promise<void> {
		if (!this.#channelId) return;
		if (this.#deps.prefs().sounds && this.#status === 'connected') this.#deps.sounds.left();
		this.#deps.audio.close(); // after a grace, so the leave blip is heard
		await this.#disconnect();
		this.#deps.announce('You left the channel.');
	}

	async #disconnect(): Promise<void> {
		this.#generation++;
		this.#stopResumeDeadline();
		this.#channelId = undefined;
		this.#status = 'idle';
		this.#people = [];
		this.#micProblem = undefined;
		this.#audioBlocked = false;
		this.#meter(undefined);
		this.#releaseWakeLock?.();
		this.#releaseWakeLock = undefined;
		await this.#engine?.disconnect();
	}

	toggleMute(): Promise<void> {
		if (this.mixer.deafened) return this.toggleDeafen(); // unmuting while deafened undeafens too
		this.#muted = !this.#muted;
		return this.#applyMic();
	}

	/** Deafen also mutes; undeafen restores the mute state from before. */
	toggleDeafen(): Promise<void> {
		const deafen = !this.mixer.deafened;
		if (deafen) this.#mutedBeforeDeafen = this.#muted;
		this.mixer.setDeafened(deafen);
		this.#muted = deafen ? true : this.#mutedBeforeDeafen;
		this.#applyGains();
		return this.#applyMic();
	}

	pushToTalk(held: boolean): Promise<void> {
		if (this.#pttHeld === held) return Promise.resolve();
		this.#pttHeld = held;
		return this.#applyMic();
	}

	setVolume(identity: string, volume: number): void {
		this.mixer.setVolume(identity, volume);
		this.#engine?.setGain(identity, this.mixer.gain(identity));
	}

	setLocallyMuted(identity: string, muted: boolean): void {
		this.mixer.setLocallyMuted(identity, muted);
		this.#engine?.setGain(identity, this.mixer.gain(identity));
	}

	/** The "Tap to enable audio" button: must run inside the tap's handler. */
	async enableAudio(): Promise<void> {
		await this.#engine?.startAudio();
	}

	/** Tries the microphone again (after the person fixed the permission). */
	async retryMic(): Promise<void> {
		if (!this.#engine || this.#status !== 'connected') return;
		this.#micProblem = undefined;
		this.#micProblem = await this.#engine.publishMic(!this.micOpen);
	}

	async useDevice(kind: 'audioinput' | 'audiooutput', deviceId: string): Promise<void> {
		if (this.#status !== 'idle') await this.#engine?.useDevice(kind, deviceId || 'default');
	}

	#applyGains(): void {
		for (const p of this.#people) this.#engine?.setGain(p.identity, this.mixer.gain(p.identity));
	}

	async #applyMic(): Promise<void> {
		if (this.#status === 'idle' || this.#micProblem) return;
		await this.#engine?.setMicMuted(!this.micOpen);
	}

	reset(): void {
		this.#deps.audio.close();
		void this.#disconnect();
		this.mixer.reset();
		this.#muted = false;
		this.#pttHeld = false;
		this.#error = undefined;
		this.#ended = undefined;
	}
}
