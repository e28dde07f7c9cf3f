// Reading one person's public profile: their current handle from their DID document and
// their display name and avatar from the `app.bsky.actor.profile/self` record on the PDS
// that document names (com.atproto.repo.getRecord). Everything here is written by whoever
// controls that identity, so it is treated as hostile: the PDS URL is reached only through
// the SSRF-guarded identity fetch, answers are size-capped, the name is cleaned and capped,
// the handle counts only when it resolves back to the DID, and the avatar becomes a URL
// of the operator's image service (avatar-url.ts), never a URL the profile chose.
import type { IdentityFetch } from './identity-fetch.js';
import { avatarUrlFor } from './avatar-url.js';

export interface Profile {
  /** Their handle, checked both ways; undefined when it did not check out (keep the last good one). */
  readonly handle: string | undefined;
  /** Cleaned display name; '' when they have none. */
  readonly displayName: string;
  /** URL at the operator's image service; '' when they have no avatar. */
  readonly avatarUrl: string;
}

export interface ProfileSources {
  readonly fetch: IdentityFetch;
  /** DID -> the DID document's handle and PDS URL (@atproto/identity's resolveAtprotoData). */
  readonly resolveDid: (did: string) => Promise<{ handle?: string; pds: string }>;
  /** handle -> DID, or undefined (the identity code's own resolver). */
  readonly resolveHandle: (handle: string) => Promise<string | undefined>;
  /** Avatar URL pattern with {did} and {cid} (config MICROCLIMATE_AVATAR_URL). */
  readonly avatarUrlPattern: string;
  readonly timeoutMs?: number;
}

/** Bluesky's own limit for displayName (app.bsky.actor.profile: maxGraphemes 64). */
export const DISPLAY_NAME_MAX_GRAPHEMES = 64;
const RECORD_MAX_BYTES = 64 * 1024;
const HANDLE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

// Controls (C0, DEL, C1), line/paragraph separators, and every bidi embedding, override,
// isolate and mark: a name must not reorder or hide the text shown around it.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]/g;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** A display name fit to show: cleaned, whitespace collapsed, at most 64 graphemes; '' if not a string. */
export function cleanDisplayName(value: unknown): string {
  if (typeof value !== 'string') return '';
  // Line breaks and tabs become spaces (words stay apart); every other unsafe character goes.
  const text = value.slice(0, 4096).replace(/[\s\u0085]+/g, ' ').replace(UNSAFE, '').replace(/ {2,}/g, ' ').trim();
  const graphemes = [...segmenter.segment(text)].map((s) => s.segment);
  return graphemes.slice(0, DISPLAY_NAME_MAX_GRAPHEMES).join('').trim();
}

/** The CID of a blob reference, in the current ({ref: {$link}}) or the legacy ({cid}) form. */
function blobCid(blob: unknown): string | undefined {
  if (typeof blob !== 'object' || blob === null) return undefined;
  const b = blob as { ref?: { $link?: unknown }; cid?: unknown; mimeType?: unknown };
  if (typeof b.mimeType === 'string' && !b.mimeType.startsWith('image/')) return undefined;
  const cid = b.ref?.$link ?? b.cid;
  return typeof cid === 'string' ? cid : undefined;
}

/** Reads the body as JSON, refusing more than `max` bytes (the dev fetch has no cap of its own). */
async function boundedJson(res: Response, max: number): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new Error('profile record too large');
  const reader = res.body?.getReader();
  if (!reader) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error('profile record too large');
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The person's profile now. Throws when their DID document or PDS cannot be read (the
 * caller keeps what it had); a PDS that says the record does not exist is an empty profile.
 */
export async function readProfile(did: string, src: ProfileSources): Promise<Profile> {
  const timeoutMs = src.timeoutMs ?? 3000;
  const doc = await src.resolveDid(did);
  const claimed = doc.handle?.toLowerCase();
  const handleOk = claimed !== undefined && claimed.length <= 253 && HANDLE.test(claimed) && (await src.resolveHandle(claimed)) === did;

  const url = new URL('/xrpc/com.atproto.repo.getRecord', doc.pds);
  url.search = new URLSearchParams({ repo: did, collection: 'app.bsky.actor.profile', rkey: 'self' }).toString();
  const res = await src.fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const body = await boundedJson(res, RECORD_MAX_BYTES).catch((err: unknown) => {
    if (res.ok) throw err;
    return null; // an error answer's body is only read for its error name
  });
  const handle = handleOk ? claimed : undefined;
  if (!res.ok) {
    if (res.status === 400 && (body as { error?: unknown } | null)?.error === 'RecordNotFound') return { handle, displayName: '', avatarUrl: '' };
    throw new Error(`the PDS answered ${res.status} for the profile`);
  }
  const value = (body as { value?: unknown } | null)?.value;
  const record = typeof value === 'object' && value !== null ? (value as { displayName?: unknown; avatar?: unknown }) : {};
  const cid = blobCid(record.avatar);
  return {
    handle,
    displayName: cleanDisplayName(record.displayName),
    avatarUrl: cid ? (avatarUrlFor(src.avatarUrlPattern, did, cid) ?? '') : '',
  };
}
