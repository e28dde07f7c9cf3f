// Our own session JWTs: issued by CreateSession after a service token checked out, then
// required on every channels call. ES256 with a key only this server holds.
//
// Key handling: generated on first start and kept as a JWK in <dataDir>/session-key.json
// (0600, dir 0700) so sessions survive restarts, or supplied by the environment (several
// replicas must share one key). The file is published with link(): atomic, and it never
// overwrites, so two processes starting at once end up with the same key instead of each
// keeping a different one. Several replicas share a key set instead (session-keys.ts):
// every token names its key by `kid`, the first key signs and every key verifies, so a
// rotation signs nobody out. Nothing here ever logs or throws key material or tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';

export const SESSION_KEY_FILE = 'session-key.json';
const ALG = 'ES256';
// A distinct typ keeps our session JWT from being mistaken for (or accepted as) any other JWT.
const TYP = 'microclimate-session+jwt';

export interface SessionKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Names the key in each token's header: the JWK's own kid, else its RFC 7638 thumbprint. */
  readonly kid: string;
}

export type SessionFailure = 'malformed' | 'bad_key' | 'expired' | 'invalid';

export class SessionTokenError extends Error {
  override readonly name = 'SessionTokenError';
  constructor(readonly reason: SessionFailure, message: string) {
    super(message);
  }
}

export async function fromJwk(jwk: JWK, where: string): Promise<SessionKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new SessionTokenError('bad_key', `${where} must be an EC P-256 private JWK`);
  }
  try {
    const { d: _d, ...pub } = jwk;
    return {
      privateKey: (await importJWK({ ...jwk, alg: ALG }, ALG)) as CryptoKey,
      publicKey: (await importJWK({ ...pub, alg: ALG }, ALG)) as CryptoKey,
      kid: typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await calculateJwkThumbprint(pub),
    };
  } catch {
    throw new SessionTokenError('bad_key', `${where} is not a usable ES256 key`);
  }
}

export function parseJwk(text: string, where: string): JWK {
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as JWK;
  } catch {
    /* fall through: do not echo the text, it is a secret */
  }
  throw new SessionTokenError('bad_key', `${where} is not a JSON JWK`);
}

/** The session signing key: from envKey (a JWK JSON string) if given, else from/into dataDir. */
export async function loadOrCreateSessionKey(dataDir: string, envKey?: string): Promise<SessionKey> {
  if (envKey !== undefined && envKey.trim() !== '') return fromJwk(parseJwk(envKey, 'the session key variable'), 'the session key variable');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SESSION_KEY_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const st = await stat(file);
      if ((st.mode & 0o077) !== 0) await chmod(file, 0o600); // someone loosened it: tighten again
      return fromJwk(parseJwk(await readFile(file, 'utf8'), file), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    const tmp = join(dataDir, `.${SESSION_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(jwk));
      await fh.sync(); // the key must be on disk before it is visible under its real name
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // lost the race: read the winner's key
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
  throw new SessionTokenError('bad_key', `could not create ${file}`);
}

export interface SessionClaims {
  readonly did: string;
  readonly handle: string;
}

export interface VerifiedSession extends SessionClaims {
  /** Unix seconds. */
  readonly expiresAt: number;
}

export interface SessionTokensOptions {
  /** The signing key (a key set of one), or: */
  readonly key?: SessionKey;
  /** The key set: the first signs, every one verifies (by kid). */
  readonly keys?: readonly SessionKey[];
  /** Our identity, e.g. the server's did:web reference; put in iss and aud. */
  readonly issuer: string;
  /** What verify accepts as iss and aud; default [issuer, audience]. Sessions are only good at this server. */
  readonly accepted?: readonly string[];
  /** Default: same as issuer. */
  readonly audience?: string;
  /** Unix seconds; injectable for tests. */
  readonly now?: () => number;
}

export function createSessionTokens(opts: SessionTokensOptions) {
  const audience = opts.audience ?? opts.issuer;
  const keys = opts.keys ?? (opts.key ? [opts.key] : []);
  const signer = keys[0];
  if (signer === undefined) throw new SessionTokenError('bad_key', 'no session signing key');
  const accepted = opts.accepted ?? [opts.issuer, audience];
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));

  async function issueSession(claims: SessionClaims, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const iat = now();
    const expiresAt = iat + ttlSeconds;
    const token = await new SignJWT({ handle: claims.handle })
      .setProtectedHeader({ alg: ALG, typ: TYP, kid: signer!.kid })
      .setIssuer(opts.issuer)
      .setAudience(audience)
      .setSubject(claims.did)
      .setIssuedAt(iat)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(signer!.privateKey);
    return { token, expiresAt };
  }

  /** graceSeconds > 0 also accepts a session that expired at most that long ago (renewals only). */
  async function verifySession(token: string, graceSeconds = 0): Promise<VerifiedSession> {
    if (typeof token !== 'string' || token.length > 4096) throw new SessionTokenError('malformed', 'session token is not a JWT');
    try {
      const { payload } = await jwtVerify(token, verifierFor(token), {
        algorithms: [ALG], // pinned: 'none', HS256-with-public-key etc. never reach a verifier
        issuer: [...accepted],
        audience: [...accepted],
        typ: TYP,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        currentDate: new Date(now() * 1000),
        clockTolerance: graceSeconds,
      });
      const { sub, handle, exp } = payload;
      if (typeof sub !== 'string' || !sub.startsWith('did:') || typeof handle !== 'string' || typeof exp !== 'number') {
        throw new SessionTokenError('invalid', 'session token is not valid');
      }
      return { did: sub, handle, expiresAt: exp };
    } catch (err) {
      if (err instanceof SessionTokenError) throw err;
      if ((err as { code?: string }).code === 'ERR_JWT_EXPIRED') throw new SessionTokenError('expired', 'session has expired; sign in again');
      throw new SessionTokenError('invalid', 'session token is not valid');
    }
  }

  /** The key the token names; a token without kid (issued before key sets) by the signing key. */
  function verifierFor(token: string): CryptoKey {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new SessionTokenError('malformed', 'session token is not a JWT');
    }
    const key = kid === undefined ? signer : keys.find((k) => k.kid === kid);
    // An unknown kid: a key retired from the set, or not ours at all.
    if (key === undefined) throw new SessionTokenError('invalid', 'session token is not valid');
    return key.publicKey;
  }

  return { issueSession, verifySession };
}
