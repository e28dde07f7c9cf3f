import { describe, expect, it } from 'vitest';
import { ConfigError } from '../env-parse.js';
import { avatarUrlFor, DEFAULT_AVATAR_URL, readAvatarUrlPattern } from './avatar-url.js';

const CID = `bafkrei${'b'.repeat(52)}`;

describe('avatar URLs', () => {
  it("default to Bluesky's public image CDN", () => {
    expect(avatarUrlFor(readAvatarUrlPattern({}, false), 'did:plc:abc', CID)).toBe(`https://cdn.bsky.app/img/avatar/plain/did:plc:abc/${CID}@jpeg`);
    expect(DEFAULT_AVATAR_URL).toContain('{cid}');
  });
  it("can point at a PDS's getBlob, http: only in dev mode", () => {
    const local = 'http://localhost:2583/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}';
    expect(avatarUrlFor(readAvatarUrlPattern({ MICROCLIMATE_AVATAR_URL: local }, true), 'did:plc:abc', CID)).toBe(
      `http://localhost:2583/xrpc/com.atproto.sync.getBlob?did=did:plc:abc&cid=${CID}`,
    );
    expect(() => readAvatarUrlPattern({ MICROCLIMATE_AVATAR_URL: local }, false)).toThrow(/http: only with MICROCLIMATE_DEV=1/);
  });
  it('refuses a pattern without {cid} or that is not a URL, naming the variable', () => {
    expect(() => readAvatarUrlPattern({ MICROCLIMATE_AVATAR_URL: 'https://img.example/{did}' }, false)).toThrow(ConfigError);
    expect(() => readAvatarUrlPattern({ MICROCLIMATE_AVATAR_URL: 'javascript:{cid}' }, false)).toThrow(/MICROCLIMATE_AVATAR_URL/);
  });
  it('puts only well-formed DIDs and CIDs into a URL', () => {
    expect(avatarUrlFor(DEFAULT_AVATAR_URL, 'did:plc:a/../../x', CID)).toBeUndefined();
    expect(avatarUrlFor(DEFAULT_AVATAR_URL, 'did:plc:abc', 'bafy?x=1')).toBeUndefined();
  });
});
