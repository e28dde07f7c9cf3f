import { mkdtemp, readFile, stat, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createSessionTokens, loadOrCreateSessionKey, SESSION_KEY_FILE, SessionTokenError } from './session-jwt.js';

const ISS = 'did:web:localhost%3A8080#microclimate';
const who = { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', handle: 'alice.test' };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const tmp = () => mkdtemp(join(tmpdir(), 'mc-session-'));

describe('session key', () => {
  it('is created once, 0600, and reused across loads', async () => {
    expect.assertions(5);
    const dir = join(await tmp(), 'nested');
    const k1 = await loadOrCreateSessionKey(dir);
    const file = join(dir, SESSION_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ kty: 'EC', crv: 'P-256' });
    const { token } = await createSessionTokens({ key: k1, issuer: ISS }).issueSession(who, 60);
    const k2 = await loadOrCreateSessionKey(dir);
    await expect(createSessionTokens({ key: k2, issuer: ISS }).verifySession(token)).resolves.toMatchObject(who);
    expect(await readdir(dir)).toEqual([SESSION_KEY_FILE]); // no temp files left behind
    await chmod(file, 0o644);
    await loadOrCreateSessionKey(dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('concurrent first starts agree on one key', async () => {
    expect.assertions(2);
    const dir = await tmp();
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateSessionKey(dir)));
    const { token } = await createSessionTokens({ key: keys[0]!, issuer: ISS }).issueSession(who, 60);
    const results = await Promise.all(keys.map((key) => createSessionTokens({ key, issuer: ISS }).verifySession(token).then(() => true, () => false)));
    expect(results).toEqual([true, true, true, true]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('can come from an env JWK; junk and public-only keys are refused without echoing them', async () => {
    expect.assertions(4);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const key = await loadOrCreateSessionKey(await tmp(), JSON.stringify(await exportJWK(privateKey)));
    const { token } = await createSessionTokens({ key, issuer: ISS }).issueSession(who, 60);
    await expect(createSessionTokens({ key, issuer: ISS }).verifySession(token)).resolves.toMatchObject(who);
    await expect(loadOrCreateSessionKey(await tmp(), 'not-json-secret')).rejects.toThrow(/^(?!.*not-json-secret)/);
    await expect(loadOrCreateSessionKey(await tmp(), JSON.stringify(await exportJWK(publicKey)))).rejects.toBeInstanceOf(SessionTokenError);
    const dir = await tmp();
    await writeFile(join(dir, SESSION_KEY_FILE), '{"kty":"oct","k":"c2VjcmV0"}');
    await expect(loadOrCreateSessionKey(dir)).rejects.toMatchObject({ reason: 'bad_key' });
  });
});

describe('session tokens', () => {
  const setup = async (now?: () => number) => createSessionTokens({ key: await loadOrCreateSessionKey(await tmp()), issuer: ISS, now });

  it('round-trips did, handle and expiry', async () => {
    expect.assertions(2);
    const s = await setup();
    const { token, expiresAt } = await s.issueSession(who, 900);
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 890);
    expect(await s.verifySession(token)).toEqual({ ...who, expiresAt });
  });

  it('refuses an expired session', async () => {
    expect.assertions(1);
    let t = 1_800_000_000;
    const s = await setup(() => t);
    const { token } = await s.issueSession(who, 60);
    t += 61;
    await expect(s.verifySession(token)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('refuses tampered payload and signature', async () => {
    expect.assertions(2);
    const s = await setup();
    const [h, p, sig] = (await s.issueSession(who, 60)).token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    await expect(s.verifySession(`${h}.${b64({ ...claims, sub: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb' })}.${sig}`)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(s.verifySession(`${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`)).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('refuses alg none, another key, another issuer or audience, and garbage', async () => {
    expect.assertions(6);
    const key = await loadOrCreateSessionKey(await tmp());
    const s = createSessionTokens({ key, issuer: ISS });
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISS, aud: ISS, sub: who.did, handle: who.handle, iat: now, exp: now + 60, jti: 'x' };
    await expect(s.verifySession(`${b64({ alg: 'none', typ: 'microclimate-session+jwt' })}.${b64(claims)}.`)).rejects.toBeInstanceOf(SessionTokenError);
    const stranger = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'microclimate-session+jwt' }).sign(stranger.privateKey);
    await expect(s.verifySession(forged)).rejects.toMatchObject({ reason: 'invalid' });
    const { token } = await createSessionTokens({ key, issuer: 'did:web:other.example' }).issueSession(who, 60);
    await expect(s.verifySession(token)).rejects.toMatchObject({ reason: 'invalid' });
    const { token: t2 } = await createSessionTokens({ key, issuer: ISS, audience: 'did:web:other.example' }).issueSession(who, 60);
    await expect(s.verifySession(t2)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(s.verifySession('garbage')).rejects.toBeInstanceOf(SessionTokenError);
    await expect(s.verifySession('a'.repeat(5000))).rejects.toMatchObject({ reason: 'malformed' });
  });
});
