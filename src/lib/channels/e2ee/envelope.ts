// The sealed envelope in which a sender hands its media key to one other participant over
// LiveKit's data channel. The SFU relays it but cannot open it: the key that seals it is
// AES-GCM from HKDF(ECDH(our private key, their public key), room ‖ call ‖ both DIDs ‖ both
// public keys), so only the two devices whose public keys the API server sealed into their
// LiveKit tokens can derive it. The additional data binds sender, recipient and key index:
// an envelope replayed to someone else, or under another index, does not open.
import { CURVE, framed, utf8 } from './device-key.js';

const INFO_LABEL = 'microclimate e2ee v1 pair';
const IV_BYTES = 12;

export interface PairContext {
	/** LiveKit room name and room sid: a key sealed for one call never opens in another. */
	readonly room: string;
	readonly call: string;
	readonly me: { readonly did: string; readonly publicKey: Uint8Array };
	readonly them: { readonly did: string; readonly publicKey: Uint8Array };
}

/** The AES-GCM key both devices of a pair derive alike (ordered by DID, then key). */
export async function pairKey(privateKey: CryptoKey, ctx: PairContext, subtle: SubtleCrypto = crypto.subtle): Promise<CryptoKey> {
	const theirs = await subtle.importKey('raw', new Uint8Array(ctx.them.publicKey), CURVE, false, []);
	const secret = await subtle.deriveBits({ name: 'ECDH', public: theirs }, privateKey, 256);
	const [a, b] = [ctx.me, ctx.them].sort((x, y) => order(x, y));
	const info = framed([utf8(INFO_LABEL), utf8(ctx.room), utf8(ctx.call), utf8(a!.did), utf8(b!.did), a!.publicKey, b!.publicKey]);
	const base = await subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
	return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

function order(x: { did: string; publicKey: Uint8Array }, y: { did: string; publicKey: Uint8Array }): number {
	if (x.did !== y.did) return x.did < y.did ? -1 : 1;
	for (let i = 0; i < Math.min(x.publicKey.length, y.publicKey.length); i++) if (x.publicKey[i] !== y.publicKey[i]) return x.publicKey[i]! - y.publicKey[i]!;
	return x.publicKey.length - y.publicKey.length;
}

const additionalData = (from: string, to: string, keyIndex: number) => framed([utf8(from), utf8(to), Uint8Array.of(keyIndex)]);

/** IV ‖ ciphertext of `mediaKey`, from `from` to `to`, for key index `keyIndex`. */
export async function seal(key: CryptoKey, mediaKey: Uint8Array, from: string, to: string, keyIndex: number, subtle: SubtleCrypto = crypto.subtle): Promise<Uint8Array<ArrayBuffer>> {
	const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
	const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(from, to, keyIndex) }, key, new Uint8Array(mediaKey)));
	const out = new Uint8Array(IV_BYTES + ct.length);
	out.set(iv);
	out.set(ct, IV_BYTES);
	return out;
}

/** The media key, or undefined when the envelope was not sealed for this pair, direction and index. */
export async function open(key: CryptoKey, sealed: Uint8Array, from: string, to: string, keyIndex: number, subtle: SubtleCrypto = crypto.subtle): Promise<Uint8Array<ArrayBuffer> | undefined> {
	if (sealed.length <= IV_BYTES) return undefined;
	try {
		const iv = sealed.slice(0, IV_BYTES);
		return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additionalData(from, to, keyIndex) }, key, sealed.slice(IV_BYTES)));
	} catch {
		return undefined;
	}
}
