// Whether this browser can make a call at all, asked before joining so that a browser
// without WebRTC never requests a token nor loads the media engine: Debian's WebKitGTK is
// built without it, and real browsers lose it to lockdown modes, enterprise policies and
// some embedded web views. The checks mirror livekit-client's own (`isBrowserSupported`),
// plus Web Audio, through which every call plays. Also what of the call's audio this
// browser lets the person choose.

/** The final message of a join that cannot work here (its first sentence is asserted by tests). */
export const UNSUPPORTED_TEXT =
	"This browser can't make voice calls. Open Microclimate in a current Safari, Chrome, Firefox or Edge, with WebRTC allowed.";

type Scope = { RTCPeerConnection?: unknown; AudioContext?: unknown; navigator?: { mediaDevices?: { getUserMedia?: unknown } } };
type Constructor = { prototype?: object };

export function canMakeCalls(scope: Scope = globalThis as Scope): boolean {
	const pc = scope.RTCPeerConnection;
	if (typeof pc !== 'function' || !pc.prototype) return false;
	if (!('addTransceiver' in pc.prototype) && !('addTrack' in pc.prototype)) return false;
	return typeof scope.AudioContext === 'function';
}

/**
 * Whether the person can pick the speaker. The others' voices play through the call's
 * AudioContext (per-person volume), so it takes AudioContext's setSinkId, which Safari lacks, and
 * Firefox too (ESR 153 has it on media elements only): there the control is hidden and the
 * system's output is used.
 */
export function canChooseSpeaker(scope: Scope = globalThis as Scope): boolean {
	const prototype = (scope.AudioContext as Constructor | undefined)?.prototype;
	return typeof scope.AudioContext === 'function' && !!prototype && 'setSinkId' in prototype;
}

/**
 * Whether the settings' microphone test can run: it captures the microphone and measures it
 * with Web Audio. Safari before 14.1 has only the prefixed webkitAudioContext, and web views
 * with capture turned off (some in-app browsers) have no navigator.mediaDevices at all:
 * there the test is not offered, rather than throwing on the tap.
 */
export function canTestMicrophone(scope: Scope = globalThis as Scope): boolean {
	return typeof scope.AudioContext === 'function' && typeof scope.navigator?.mediaDevices?.getUserMedia === 'function';
}
