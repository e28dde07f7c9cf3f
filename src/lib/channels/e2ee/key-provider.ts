// livekit-client's key provider with one key per participant (ExternalE2EEKeyProvider holds
// one shared key: anyone with it could read everyone). Keys are fresh random keys handed
// over by the key exchange, never ratchets of one another: ratchet window 0, and a key that
// fails to decrypt is never marked unusable (failure tolerance -1), since a new key at the
// same index replaces it anyway. Imported only with the call engine (livekit-e2ee.ts).
import { BaseKeyProvider } from 'livekit-client';
import { KEY_RING } from './key-exchange.js';

export class ParticipantKeyProvider extends BaseKeyProvider {
	constructor() {
		super({ sharedKey: false, ratchetWindowSize: 0, failureTolerance: -1, keyringSize: KEY_RING });
	}

	/** Installs `did`'s key material at `keyIndex` (our own identity: the key we send with). */
	useKey(did: string, material: CryptoKey, keyIndex: number): void {
		this.onSetEncryptionKey(material, did, keyIndex);
	}
}
