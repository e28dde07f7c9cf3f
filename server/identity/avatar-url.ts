// Where avatars are shown from: one image service the operator chooses, never a URL taken
// from someone's profile (that would let anyone make every client fetch any URL, and the
// app's CSP allows exactly one image origin). The pattern names the person's DID and the
// avatar blob's CID:
//   Bluesky's public CDN:  https://cdn.bsky.app/img/avatar/plain/{did}/{cid}@jpeg
//   a PDS's own blobs:     http://localhost:2583/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}
import { ConfigError, readString, type Env } from '../env-parse.js';

export const DEFAULT_AVATAR_URL = 'https://cdn.bsky.app/img/avatar/plain/{did}/{cid}@jpeg';

// Both are checked before they are put into a URL, so no escaping can be missed: a DID
// uses only these characters, and a CID is base32 (CIDv1, "b...") or base58 (CIDv0, "Qm...").
const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$/;
const CID = /^(b[a-z2-7]{20,200}|Qm[1-9A-HJ-NP-Za-km-z]{44})$/;

/** The avatar's URL at the image service, or undefined when the DID or CID is not well-formed. */
export function avatarUrlFor(pattern: string, did: string, cid: string): string | undefined {
  if (!DID.test(did) || !CID.test(cid)) return undefined;
  return pattern.replaceAll('{did}', did).replaceAll('{cid}', cid);
}

/** MICROCLIMATE_AVATAR_URL: an https: (http: in dev mode) URL pattern containing {cid}. */
export function readAvatarUrlPattern(env: Env, dev: boolean): string {
  const name = 'MICROCLIMATE_AVATAR_URL';
  const pattern = readString(env, name, DEFAULT_AVATAR_URL);
  if (!pattern.includes('{cid}')) throw new ConfigError(name, `must contain {cid} (and usually {did}), e.g. ${DEFAULT_AVATAR_URL}`);
  let url: URL;
  try {
    url = new URL(avatarUrlFor(pattern, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', `b${'a'.repeat(58)}`) ?? '');
  } catch {
    throw new ConfigError(name, `not a URL pattern: "${pattern}"`);
  }
  const allowed = dev ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) throw new ConfigError(name, `expected an ${allowed.join(' or ')} URL${dev ? '' : ' (http: only with MICROCLIMATE_DEV=1)'}`);
  return pattern;
}
