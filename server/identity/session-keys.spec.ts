// Session key sets shared by replicas: every replica verifies every session, a rotation done
// in its three steps signs nobody out, and retired or unknown keys are refused.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { createSessionTokens, SessionTokenError } from './session-jwt.js';
import { loadSessionKeys } from './session-keys.js';

const ISS = 'did:web:localhost%3A8080#microclimate';
const who = { did: 'did:plc:alice', handle: 'alice.test' };

async function jwk(kid: string) {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

async function replica(keys: object[], publicHosts = 'localhost:8080,127.0.0.1:8080') {
  const config = loadConfig({ MICROCLIMATE_SESSION_KEYS: JSON.stringify(keys), MICROCLIMATE_PUBLIC_HOSTS: publicHosts, MICROCLIMATE_DATA_DIR: await mkdtemp(join(tmpdir(), 'mc-keys-')) });
  return createSessionTokens({ keys: await loadSessionKeys(config), issuer: ISS });
}

describe('session key sets', () => {
  it('a rotation in three steps (add second, put first, drop old) signs nobody out on any replica', async () => {
    const [k1, k2] = await Promise.all([jwk('2026-10'), jwk('2026-11')]);
    const before = await replica([k1]);
    const old = await before.issueSession(who, 600);
    // Step 1, half the replicas already updated: [k1, k2] and [k1] verify each other's sessions.
    const step1 = await replica([k1, k2]);
    await expect(step1.verifySession(old.token)).resolves.toMatchObject(who);
    await expect(before.verifySession((await step1.issueSession(who, 600)).token)).resolves.toMatchObject(who);
    // Step 2: k2 signs; every replica of step 1 or 2 verifies both the old and the new sessions.
    const step2 = await replica([k2, k1]);
    const fresh = await step2.issueSession(who, 600);
    for (const r of [step1, step2]) {
      await expect(r.verifySession(old.token)).resolves.toMatchObject(who);
      await expect(r.verifySession(fresh.token)).resolves.toMatchObject(who);
    }
    // Step 3: k1 dropped: its sessions (all expired by now in real life) are no longer accepted.
    const step3 = await replica([k2]);
    await expect(step3.verifySession(fresh.token)).resolves.toMatchObject(who);
    await expect(step3.verifySession(old.token)).rejects.toBeInstanceOf(SessionTokenError);
  });

  it('a session names its key by kid; a token from a key outside the set is refused', async () => {
    const mine = await replica([await jwk('a')]);
    const stranger = await replica([await jwk('a')]); // same kid, another key
    const { token } = await stranger.issueSession(who, 600);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: 'a' });
    await expect(mine.verifySession(token)).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('replicas listing their host names in different orders accept each other\'s sessions', async () => {
    const key = await jwk('k');
    const config = (hosts: string) => loadConfig({ MICROCLIMATE_PUBLIC_HOSTS: hosts, MICROCLIMATE_SESSION_KEYS: JSON.stringify([key]) });
    const { createSessionAuthority } = await import('../session-authority.js');
    const { MemoryStore } = await import('../store/memory.js');
    const a = await createSessionAuthority(config('localhost:8080,voice.example.com'), new MemoryStore());
    const b = await createSessionAuthority(config('voice.example.com,localhost:8080'), new MemoryStore());
    const tokens = createSessionTokens({ keys: await loadSessionKeys(config('voice.example.com,localhost:8080')), issuer: 'did:web:voice.example.com#microclimate' });
    const { token } = await tokens.issueSession(who, 600);
    await expect(a.verifySession(token)).resolves.toMatchObject(who);
    await expect(b.verifySession(token)).resolves.toMatchObject(who);
  });

  it('bad key sets stop the server at start with a message that shows no key material', async () => {
    const key = await jwk('k');
    const { kid: _kid, ...noKid } = key;
    const cases: [string, string][] = [
      [JSON.stringify([noKid]), 'needs a "kid"'],
      [JSON.stringify([key, key]), 'appears twice'],
      [JSON.stringify([]), '1 to 8'],
      [`not json ${key.d}`, 'not a JSON JWK'],
      [JSON.stringify([{ ...key, d: undefined }]), 'EC P-256 private JWK'],
    ];
    for (const [value, message] of cases) {
      const error = await loadSessionKeys({ dataDir: '/nonexistent', sessionKeyJwk: undefined, sessionKeys: value, sessionKeysFile: undefined }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(SessionTokenError);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain(key.d!);
    }
    expect(() => loadConfig({ MICROCLIMATE_SESSION_KEYS: '[]', MICROCLIMATE_SESSION_KEY_JWK: '{}' })).toThrow(ConfigError);
  });

  it('reads the key set from MICROCLIMATE_SESSION_KEYS_FILE (a JWKS)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-keys-'));
    const key = await jwk('file-key');
    await writeFile(join(dir, 'keys.json'), JSON.stringify({ keys: [key] }), { mode: 0o600 });
    const keys = await loadSessionKeys(loadConfig({ MICROCLIMATE_SESSION_KEYS_FILE: join(dir, 'keys.json'), MICROCLIMATE_DATA_DIR: dir }));
    expect(keys.map((k) => k.kid)).toEqual(['file-key']);
  });
});
