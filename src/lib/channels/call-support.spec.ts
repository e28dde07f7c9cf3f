import { describe, expect, it } from 'vitest';
import { canChooseSpeaker, canMakeCalls, canTestMicrophone, UNSUPPORTED_TEXT } from './call-support.js';

class WithTransceivers {
	addTransceiver() {}
	addTrack() {}
}
class WithAddTrackOnly {
	addTrack() {}
}
class Bare {}
class FakeAudioContext {}

describe('canMakeCalls', () => {
	it('is true where WebRTC (with transceivers or addTrack) and Web Audio exist', () => {
		expect(canMakeCalls({ RTCPeerConnection: WithTransceivers, AudioContext: FakeAudioContext })).toBe(true);
		expect(canMakeCalls({ RTCPeerConnection: WithAddTrackOnly, AudioContext: FakeAudioContext })).toBe(true);
	});

	it('is false without RTCPeerConnection (WebKitGTK, lockdown modes, some web views)', () => {
		expect(canMakeCalls({ AudioContext: FakeAudioContext })).toBe(false);
		expect(canMakeCalls({ RTCPeerConnection: undefined, AudioContext: FakeAudioContext })).toBe(false);
	});

	it('is false with an RTCPeerConnection that cannot send media, or without Web Audio', () => {
		expect(canMakeCalls({ RTCPeerConnection: Bare, AudioContext: FakeAudioContext })).toBe(false);
		expect(canMakeCalls({ RTCPeerConnection: WithTransceivers })).toBe(false);
	});

	it('is false in Node, which has neither', () => {
		expect(canMakeCalls()).toBe(false);
	});

	it('says what happened and what to do', () => {
		expect(UNSUPPORTED_TEXT).toMatch(/^This browser can't make voice calls\. Open .+ in a current /);
	});
});

describe('canChooseSpeaker', () => {
	it('is true only where the AudioContext that plays the call can change its output', () => {
		class WithSink {
			setSinkId() {}
		}
		expect(canChooseSpeaker({ AudioContext: WithSink })).toBe(true);
		// Safari: HTMLMediaElement may have setSinkId, but the call plays through the AudioContext.
		expect(canChooseSpeaker({ AudioContext: FakeAudioContext })).toBe(false);
		expect(canChooseSpeaker({})).toBe(false);
	});
});

describe('canTestMicrophone', () => {
	const capture = { mediaDevices: { getUserMedia: () => Promise.resolve() } };

	it('is true with microphone capture and Web Audio', () => {
		expect(canTestMicrophone({ AudioContext: FakeAudioContext, navigator: capture })).toBe(true);
	});

	it('is false without the unprefixed AudioContext (Safari before 14.1)', () => {
		expect(canTestMicrophone({ navigator: capture })).toBe(false);
	});

	it('is false where capture is off (no mediaDevices, or no getUserMedia)', () => {
		expect(canTestMicrophone({ AudioContext: FakeAudioContext, navigator: {} })).toBe(false);
		expect(canTestMicrophone({ AudioContext: FakeAudioContext, navigator: { mediaDevices: {} } })).toBe(false);
		expect(canTestMicrophone({ AudioContext: FakeAudioContext })).toBe(false);
	});
});
