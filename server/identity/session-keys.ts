// The session signing keys of a server made of several replicas. Every replica is given the
// same key set, so each verifies every session whichever replica issued it:
//
//   MICROCLIMATE_SESSION_KEYS       JSON: [jwk, jwk, ...] or {"keys": [jwk, ...]} (a JWKS)
//   MICROCLIMATE_SESSION_KEYS_FILE  a file holding the same JSON (keep it 0600)
//
// Each jwk is an EC P-256 private key with a unique `kid`. The FIRST key signs new sessions;
// every key verifies. A rotation that signs nobody out, replica by replica:
//   1. add the new key SECOND everywhere ([old, new]): every replica can verify it;
//   2. put it FIRST everywhere ([new, old]): new sessions use it, old ones still verify;
//   3. after one session lifetime (MICROCLIMATE_SESSION_TTL_SECONDS), drop the old key.
// Without a key set the server keeps its single key (MICROCLIMATE_SESSION_KEY_JWK, or the
// one it generates in its data dir), as one server alone always did.
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { fromJwk, loadOrCreateSessionKey, parseJwk, SessionTokenError, type SessionKey } from './session-jwt.js';

export interface SessionKeySource {
  readonly dataDir: string;
  readonly sessionKeyJwk: string | undefined;
  readonly sessionKeys: string | undefined;
  readonly sessionKeysFile: string | undefined;
}

const MAX_KEYS = 8;

/** The key set, first key signing; throws SessionTokenError (never echoing key material). */
export async function loadSessionKeys(source: SessionKeySource): Promise<SessionKey[]> {
  if (source.sessionKeys === undefined && source.sessionKeysFile === undefined) {
    return [await loadOrCreateSessionKey(source.dataDir, source.sessionKeyJwk)];
  }
  const where = source.sessionKeys !== undefined ? 'MICROCLIMATE_SESSION_KEYS' : `MICROCLIMATE_SESSION_KEYS_FILE (${source.sessionKeysFile})`;
  const text = source.sessionKeys ?? (await readKeyFile(source.sessionKeysFile!));
  const parsed = parseJwk(text.trim().startsWith('[') ? `{"keys":${text}}` : text, where) as { keys?: unknown };
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0 || parsed.keys.length > MAX_KEYS) {
    throw new SessionTokenError('bad_key', `${where} must hold 1 to ${MAX_KEYS} private JWKs (the first signs)`);
  }
  const keys: SessionKey[] = [];
  for (const [i, jwk] of (parsed.keys as JWK[]).entries()) {
    if (typeof jwk?.kid !== 'string' || jwk.kid === '' || jwk.kid.length > 64) {
      throw new SessionTokenError('bad_key', `${where}: key ${i + 1} needs a "kid" (1-64 characters) to name it in tokens`);
    }
    const key = await fromJwk(jwk, `${where}: key "${jwk.kid}"`);
    if (keys.some((k) => k.kid === key.kid)) throw new SessionTokenError('bad_key', `${where}: kid "${key.kid}" appears twice`);
    keys.push(key);
  }
  return keys;
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new SessionTokenError('bad_key', `cannot read MICROCLIMATE_SESSION_KEYS_FILE (${file}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
