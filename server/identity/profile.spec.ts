import { describe, expect, it } from 'vitest';
import { cleanDisplayName, readProfile, type ProfileSources } from './profile.js';

const DID = 'did:plc:alice';
const CID = `bafkrei${'a'.repeat(52)}`;
const PATTERN = 'https://img.example/avatar/{did}/{cid}@jpeg';

/** A fake PDS answering getRecord with `answer`, and an identity whose handle checks out unless told otherwise. */
function sources(answer: (url: URL, init?: RequestInit) => Promise<Response>, over: Partial<ProfileSources> = {}): ProfileSources & { asked: URL[] } {
  const asked: URL[] = [];
  return {
    asked,
    fetch: async (input, init) => {
      const url = new URL(String(input));
      asked.push(url);
      return answer(url, init);
    },
    resolveDid: async () => ({ handle: 'alice.test', pds: 'https://pds.example' }),
    resolveHandle: async (h) => (h === 'alice.test' ? DID : undefined),
    avatarUrlPattern: PATTERN,
    ...over,
  };
}
const record = (value: unknown) => async () => Response.json({ uri: 'at://x', value });

describe('cleanDisplayName', () => {
  it('strips control and bidi-override characters and collapses whitespace', () => {
    expect(cleanDisplayName('Al\u202Eice\u0000 \u2066x\u2069\n\tB\u200Fob\u0085')).toBe('Alice x Bob');
  });
  it('caps the name at 64 graphemes without splitting one', () => {
    expect([...new Intl.Segmenter().segment(cleanDisplayName('👩‍👩‍👧'.repeat(100)))]).toHaveLength(64);
    expect(cleanDisplayName('a'.repeat(10_000))).toHaveLength(64);
  });
  it('keeps emoji joiners and ordinary text, and turns anything but a string into no name', () => {
    expect(cleanDisplayName('Zoë 👩‍🚀')).toBe('Zoë 👩‍🚀');
    expect(cleanDisplayName({ toString: () => 'x' })).toBe('');
    expect(cleanDisplayName(42)).toBe('');
  });
});

describe('readProfile', () => {
  it('reads the display name and turns the avatar blob into a URL of the image service', async () => {
    const src = sources(record({ displayName: ' Alice ', avatar: { $type: 'blob', ref: { $link: CID }, mimeType: 'image/png', size: 10 } }));
    expect(await readProfile(DID, src)).toEqual({ handle: 'alice.test', displayName: 'Alice', avatarUrl: `https://img.example/avatar/${DID}/${CID}@jpeg` });
    expect(src.asked[0]!.href).toBe('https://pds.example/xrpc/com.atproto.repo.getRecord?repo=did%3Aplc%3Aalice&collection=app.bsky.actor.profile&rkey=self');
  });

  it('a missing profile record is an empty profile, not an error', async () => {
    const src = sources(async () => Response.json({ error: 'RecordNotFound', message: 'Could not locate record' }, { status: 400 }));
    expect(await readProfile(DID, src)).toEqual({ handle: 'alice.test', displayName: '', avatarUrl: '' });
  });

  it('a PDS that errors or is too slow makes the read fail (the caller keeps what it had)', async () => {
    expect.assertions(2);
    await expect(readProfile(DID, sources(async () => new Response('oops', { status: 502 })))).rejects.toThrow(/502/);
    const hanging = sources((_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))));
    await expect(readProfile(DID, { ...hanging, timeoutMs: 50 })).rejects.toThrow();
  });

  it('refuses hostile records: a huge body, an avatar that is not an image or not a CID', async () => {
    expect.assertions(3);
    await expect(readProfile(DID, sources(record({ displayName: 'x'.repeat(100_000) })))).rejects.toThrow(/too large/);
    expect((await readProfile(DID, sources(record({ avatar: { ref: { $link: CID }, mimeType: 'text/html' } })))).avatarUrl).toBe('');
    expect((await readProfile(DID, sources(record({ avatar: { ref: { $link: '../../evil?x=' }, mimeType: 'image/png' } })))).avatarUrl).toBe('');
  });

  it('takes the handle from the DID document only when it resolves back to the DID', async () => {
    const changed = sources(record({}), { resolveDid: async () => ({ handle: 'alice2.test', pds: 'https://pds.example' }), resolveHandle: async () => DID });
    expect((await readProfile(DID, changed)).handle).toBe('alice2.test');
    const claimed = sources(record({}), { resolveDid: async () => ({ handle: 'bob.test', pds: 'https://pds.example' }), resolveHandle: async () => 'did:plc:bob' });
    expect((await readProfile(DID, claimed)).handle).toBeUndefined();
  });

  it('never follows a redirect from the PDS', async () => {
    const src = sources(async (_url, init) => {
      expect(init?.redirect).toBe('error');
      return Response.json({ value: {} });
    });
    await readProfile(DID, src);
  });
});
