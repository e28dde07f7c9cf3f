// What to tell the person when joining fails, and whether trying again could help.
//
// The server's refusals are ConnectErrors. Their class is in the transport's chunk, which
// the call screen does not import statically (rpc-loader.ts): a ConnectError exists only
// once that chunk has loaded, so until then no error is one.
import { loadedRpc } from '$lib/api/rpc-loader.js';
import { canMakeCalls, UNSUPPORTED_TEXT } from './call-support.js';
import { CallEnded, EngineUnavailable, type FinalEnd } from './voice-engine.js';
import { NO_E2EE_TEXT } from './e2ee/call-privacy.svelte.js';

/**
 * A join the server answered by ending the call for good, and why; undefined for any other
 * failure. LiveKit's own answers come as CallEnded; the API server refuses an automatic
 * rejoin with ALREADY_EXISTS while this person is in a call on another device, which is the
 * same story as LiveKit's DUPLICATE_IDENTITY: the call is there now, "Join here" takes it back.
 */
export function endedByServer(err: unknown): FinalEnd | undefined {
	if (err instanceof CallEnded) return err.end;
	const rpc = loadedRpc();
	if (rpc && err instanceof rpc.ConnectError && err.code === rpc.Code.AlreadyExists) return 'replaced';
	return undefined;
}

/**
 * LiveKit's errors that no retry can fix, by name: livekit-client stays out of the first
 * screen's bundle, so its classes cannot be imported here.
 */
const UNRECOVERABLE: Record<string, string> = {
	// This browser lacks a media feature the call needs.
	DeviceUnsupportedError: UNSUPPORTED_TEXT,
	// This browser cannot encrypt media (e2ee/keyed-client.ts): no plain fallback.
	EncryptionUnsupported: NO_E2EE_TEXT,
	// The voice server speaks an older protocol than this app.
	UnsupportedServer: 'This server’s voice service is out of date, so calls can’t start. Tell the server’s operator.'
};

/** What a full channel says, in the call and on its card. */
export function fullText(channelName: string, max: number): string {
	return `${channelName} is full — ${max} ${max === 1 ? 'person' : 'people'}`;
}

export function describeJoinError(err: unknown, supported: () => boolean = canMakeCalls): { text: string; final: boolean } {
	// Retrying cannot bring back a chunk the host no longer has; a reload (the update) can.
	if (err instanceof EngineUnavailable) return { text: 'Calls can’t start: this version of Microclimate is out of date. Reload to update.', final: true };
	const rpc = loadedRpc();
	if (rpc && err instanceof rpc.ConnectError) {
		const { Code } = rpc;
		switch (err.code) {
			case Code.NotFound:
				return { text: 'This channel no longer exists.', final: true };
			case Code.PermissionDenied:
				return { text: 'You are not allowed to join this channel.', final: true };
			case Code.Unauthenticated:
				return { text: 'Your session ended. Sign in again to join.', final: true };
			case Code.ResourceExhausted: {
				// A full channel comes with the channel and the limit it hit as details; a rate limit without.
				const full = rpc.fullChannelOf(err);
				if (full) return { text: fullText(full.name, full.max), final: true };
				return { text: 'Too many attempts. Wait a moment, then try again.', final: true };
			}
		}
	}
	// LiveKit's "doesn't seem to be supported on this browser" is a bare Error: the browser's
	// own features tell it apart from a network failure.
	if (!supported()) return { text: UNSUPPORTED_TEXT, final: true };
	const name = err instanceof Error ? err.name : undefined;
	if (name && name in UNRECOVERABLE) return { text: UNRECOVERABLE[name]!, final: true };
	return { text: 'Can’t reach the voice server. Retrying…', final: false };
}
