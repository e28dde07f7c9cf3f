// Wires a VoiceRoom to the real world: the session's channels client, LiveKit (lazily),
// the saved preferences, the browser's support, the call's AudioContext with the sounds and
// the level meter on it, the wake lock, and end-to-end encryption (a device key in every
// token request, the call code for the dock).
import type { Session } from '$lib/auth/session.svelte.js';
// The transport loads after the first paint (rpc-loader.ts); a join waits for it.
import { loadedRpc, loadRpc, type Rpc } from '$lib/api/rpc-loader.js';
import { VoiceRoom } from './voice-room.svelte.js';
import { ChannelDirectory } from './directory.svelte.js';
import { Announcer } from './announcer.svelte.js';
import { loadLiveKitEngine } from './voice-engine.js';
import { voicePrefs } from './voice-prefs.svelte.js';
import { callSounds } from './call-sounds.js';
import { holdWakeLock } from './wake-lock.js';
import { meterLevel, speakingGate } from './level-meter.js';
import { CallAudio } from './call-audio.js';
import { canMakeCalls } from './call-support.js';
import type { CallContext } from './call-context.js';
import { CallPrivacy } from './e2ee/call-privacy.svelte.js';
import { keyedChannelsClient } from './e2ee/keyed-client.js';

export function createCall(session: Session): CallContext {
	const announcer = new Announcer();
	const audio = new CallAudio();
	const privacy = new CallPrivacy();
	const directory = new ChannelDirectory();
	// Only a channel the list says is not encrypted joins without keys.
	const plain = (id: string) => directory.isPlain(id);
	const room = new VoiceRoom({
		client: () => {
			const keyed = (rpc: Rpc) => keyedChannelsClient(rpc.channelsClient(session), privacy, undefined, plain);
			const rpc = loadedRpc();
			return rpc ? keyed(rpc) : loadRpc().then(keyed);
		},
		engine: loadLiveKitEngine(audio, privacy),
		supported: canMakeCalls,
		audio,
		prefs: () => voicePrefs.current,
		announce: (text) => announcer.say(text),
		sounds: callSounds(audio),
		holdWakeLock,
		meter: (track, onLevel) => (audio.context ? meterLevel(audio.context, track, onLevel) : () => {}),
		speaking: () => speakingGate()
	});
	return { room, directory, announcer, privacy };
}
