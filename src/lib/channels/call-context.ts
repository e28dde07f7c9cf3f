// The call of the signed-in layout, handed to its screens (list, dock, settings) without
// a module-level singleton: a sign-out tears the layout down and the call with it.
import { createContext } from 'svelte';
import type { VoiceRoom } from './voice-room.svelte.js';
import type { ChannelDirectory } from './directory.svelte.js';
import type { Announcer } from './announcer.svelte.js';
import type { CallPrivacy } from './e2ee/call-privacy.svelte.js';

export interface CallContext {
	room: VoiceRoom;
	directory: ChannelDirectory;
	announcer: Announcer;
	/** The call's encryption as the dock shows it (code, whose key is missing). */
	privacy: CallPrivacy;
}

export const [getCall, setCall] = createContext<CallContext>();
