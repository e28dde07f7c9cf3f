// What the call dock shows about the call's encryption, and the device keys of the joins in
// flight. Written by the token request (a fresh device key per join, create-call.ts) and by
// the call engine's key exchange (livekit-e2ee.ts); read by the call dock. One per call screen.
import { makeDeviceKey, type DeviceKey } from './device-key.js';

/** The final message of a join in a browser that cannot encrypt media (tests assert its first sentence). */
export const NO_E2EE_TEXT = "This browser can't join encrypted calls. Open Microclimate in a current Chrome, Edge, Firefox or Safari.";

/** A join refused before any request because this browser cannot encrypt (call-errors.ts names it). */
export class EncryptionUnsupported extends Error {
	constructor() {
		super(NO_E2EE_TEXT);
		this.name = 'EncryptionUnsupported';
	}
}

export interface WaitingPerson {
	did: string;
	name: string;
}

export class CallPrivacy {
	#code = $state('');
	#waiting = $state.raw<WaitingPerson[]>([]);
	#decryptErrors = $state(0);
	#keys = new Map<string, DeviceKey>();
	#plain: string | undefined;
	#pending: DeviceKey | undefined;

	/** The call code (30 digits in groups of five); empty outside a call or before the keys. */
	get code(): string {
		return this.#code;
	}
	/** People in the call whose media key has not reached this device (heard as silence). */
	get waiting(): WaitingPerson[] {
		return this.#waiting;
	}
	/** Frames this device could not decrypt, counted (never logged one by one). */
	get decryptErrors(): number {
		return this.#decryptErrors;
	}

	/** A fresh key pair for the join about to ask for a token; its public key goes in the request. */
	async keyForJoin(): Promise<DeviceKey> {
		const key = await makeDeviceKey();
		this.#pending = key;
		return key;
	}

	/** The token that join got back: the engine that connects with it takes the key by it. */
	granted(token: string, key: DeviceKey): void {
		if (this.#pending === key) this.#pending = undefined;
		this.#keys.clear(); // one join at a time: older grants were superseded
		this.#plain = undefined;
		this.#keys.set(token, key);
	}

	/** The token of a join to a channel the server lists as not encrypted (no device key). */
	grantedPlain(token: string): void {
		this.#keys.clear();
		this.#plain = token;
	}

	keyFor(token: string): DeviceKey | undefined {
		return this.#keys.get(token);
	}

	/** Whether this token is for a channel listed as not encrypted: the engine joins without E2EE. */
	isPlain(token: string): boolean {
		return this.#plain === token;
	}

	show(code: string, waiting: WaitingPerson[]): void {
		this.#code = code;
		this.#waiting = waiting;
	}

	countDecryptError(): void {
		this.#decryptErrors++;
	}

	reset(): void {
		this.#code = '';
		this.#waiting = [];
		this.#decryptErrors = 0;
	}
}

/**
 * Whether this browser can encrypt a call's media in the page (mirrors livekit-client's
 * isE2EESupported, so that its chunk need not load to ask): Chromium's encoded streams, or
 * RTCRtpScriptTransform (Firefox 117+, Safari 15.4+).
 */
export function canEncryptCalls(scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): boolean {
	if (typeof scope.Worker !== 'function') return false;
	if (typeof scope.RTCRtpScriptTransform === 'function') return true;
	const sender = scope.RTCRtpSender as { prototype?: object } | undefined;
	return !!sender?.prototype && 'createEncodedStreams' in sender.prototype;
}
