// The device public key a person joins an encrypted call with (GetChannelTokenRequest.
// public_key). The server never sees a media key: it only checks that this is a real P-256
// point and seals it into the LiveKit token's participant attributes, where nobody can
// change it after the join (canUpdateOwnMetadata stays off). Clients derive every pairwise
// key and the call code from these attributes.
import { webcrypto } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';

/** The participant attribute carrying the key, base64url of the 65-byte raw point. */
export const CALL_KEY_ATTRIBUTE = 'e2ee.pk';

const RAW_P256_LENGTH = 65;

/** The key as its attribute value, or undefined when the request carries none. */
export async function callKeyAttribute(publicKey: Uint8Array): Promise<string | undefined> {
  if (publicKey.length === 0) return undefined;
  if (publicKey.length !== RAW_P256_LENGTH || publicKey[0] !== 0x04) {
    throw new ConnectError(
      `public_key must be an uncompressed P-256 point (65 bytes starting 0x04); got ${publicKey.length} bytes`,
      Code.InvalidArgument,
    );
  }
  try {
    // WebCrypto refuses a point that is not on the curve (an invalid-curve attack's input).
    await webcrypto.subtle.importKey('raw', publicKey, { name: 'ECDH', namedCurve: 'P-256' }, true, []);
  } catch {
    throw new ConnectError('public_key is not a point on the P-256 curve', Code.InvalidArgument);
  }
  return Buffer.from(publicKey).toString('base64url');
}
