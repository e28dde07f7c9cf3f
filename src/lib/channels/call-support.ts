// Whether this browser can make a call at all, asked before joining so that a browser
// without WebRTC never requests a token nor loads the media engine: Debian's WebKitGTK is
// built without it, and real browsers lose it to lockdown modes, enterprise policies and
// some embedded web views. The checks mirror livekit-client's own (`isBrowserSupported`),
// plus Web Audio, through which every call plays.

/** The final message of a join that cannot work here (its first sentence is asserted by tests). */
export const UNSUPPORTED_TEXT =
	"This browser can't make voice calls. Open Microclimate in a current Safari, Chrome, Firefox or Edge, with WebRTC allowed.";

type Scope = { RTCPeerConnection?: unknown; AudioContext?: unknown };

export function canMakeCalls(scope: Scope = globalThis as Scope): boolean {
	const pc = scope.RTCPeerConnection;
	if (typeof pc !== 'function' || !pc.prototype) return false;
	if (!('addTransceiver' in pc.prototype) && !('addTrack' in pc.prototype)) return false;
	return typeof scope.AudioContext === 'function';
}
