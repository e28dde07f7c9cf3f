// What to tell the person when joining fails, and whether trying again could help.
import { Code, ConnectError } from '@connectrpc/connect';
import { EngineUnavailable } from './voice-engine.js';

export function describeJoinError(err: unknown): { text: string; final: boolean } {
	// Retrying cannot bring back a chunk the host no longer has; a reload (the update) can.
	if (err instanceof EngineUnavailable) return { text: 'Calls can’t start: this version of Microclimate is out of date. Reload to update.', final: true };
	if (err instanceof ConnectError) {
		switch (err.code) {
			case Code.NotFound:
				return { text: 'This channel no longer exists.', final: true };
			case Code.PermissionDenied:
				return { text: 'You are not allowed to join this channel.', final: true };
			case Code.Unauthenticated:
				return { text: 'Your session ended. Sign in again to join.', final: true };
			case Code.ResourceExhausted:
				return { text: 'Too many attempts. Wait a moment, then try again.', final: true };
		}
	}
	return { text: 'Can’t reach the voice server. Retrying…', final: false };
}
