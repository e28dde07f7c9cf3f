// This device's ECDH key pair for one call, and the byte helpers the key exchange shares.
// Written by the call's token request (a fresh pair per join: create-call.ts), read by the
// key exchange of the engine that connects with that token. The private key is made
// non-extractable: script can use it, never read it out (not even into IndexedDB or logs).

export const CURVE = { name: 'ECDH', namedCurve: 'P-256' } as const;

export interface DeviceKey {
	readonly privateKey: CryptoKey;
	/** Uncompressed raw P-256 point, 65 bytes: what GetChannelToken carries. */
	readonly publicKey: Uint8Array<ArrayBuffer>;
}

export async function makeDeviceKey(subtle: SubtleCrypto = crypto.subtle): Promise<DeviceKey> {
	const pair = await subtle.generateKey(CURVE, false, ['deriveBits']);
	return { privateKey: pair.privateKey, publicKey: new Uint8Array(await subtle.exportKey('raw', pair.publicKey)) };
}

export function toBase64Url(bytes: Uint8Array): string {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of base64url text; undefined when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
	if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
	try {
		const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
		return Uint8Array.from(s, (c) => c.charCodeAt(0));
	} catch {
		return undefined;
	}
}

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);

/** Concatenation with a 2-byte length before each part, so no two lists encode alike. */
export function framed(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out[at] = p.length >> 8;
		out[at + 1] = p.length & 0xff;
		out.set(p, at + 2);
		at += 2 + p.length;
	}
	return out;
}
