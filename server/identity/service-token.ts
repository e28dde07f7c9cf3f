// Verifies the ATProto service-auth token a client got from its PDS (getServiceAuth) and
// trades for our session. Every check below is a rule from DESIGN.md "Security rules"; a
// token that fails ANY of them is refused with a ServiceTokenError and no session is issued.
//
// Order matters: cheap structural checks (shape, alg, claims, aud, lxm, times, and for a
// renewal the account) run before we resolve any DID, so junk cannot make us do network
// lookups; the replay cache is written only after the signature is good, so forged tokens
// cannot burn someone else's jti, and only after the caller admitted the account (its rate
// limit), so a flood of validly signed tokens stops at the limit instead of filling the cache.
import { verifyJwt } from '@atproto/xrpc-server';
import type { IdResolver } from '@atproto/identity';
import { MemoryStore } from '../store/memory.js';
import { StoreFullError, type Store } from '../store/store.js';
import type { ResolveHandle } from './resolver.js';

export type ServiceTokenFailure =
  | 'malformed' | 'bad_alg' | 'bad_claims' | 'bad_iss' | 'bad_aud' | 'bad_lxm'
  | 'expired' | 'iat_in_future' | 'lifetime_too_long' | 'replayed' | 'replay_cache_full'
  | 'did_unresolvable' | 'bad_signature' | 'other_account';

/** Short human message (safe to show; never contains the token) + machine reason. */
export class ServiceTokenError extends Error {
  override readonly name = 'ServiceTokenError';
  constructor(readonly reason: ServiceTokenFailure, message: string) {
    super(message);
  }
}

export interface ServiceTokenVerifierOptions {
  /** Accepted `aud` values, exact match, e.g. did:web:localhost%3A8080#microclimate. */
  readonly ownDids: readonly string[];
  readonly lxm: string;
  /** Longest accepted exp - iat. */
  readonly maxLifetimeSeconds: number;
  readonly idResolver: IdResolver;
  /** handle -> DID for the handle check-back; default idResolver.handle.resolve. */
  readonly resolveHandle?: ResolveHandle;
  /** Tolerated clock difference with the PDS; default 10 s. */
  readonly clockSkewSeconds?: number;
  /** Unix seconds; injectable for tests. */
  readonly now?: () => number;
  /** Where used jtis are remembered (shared by replicas); default a private in-memory store. */
  readonly store?: Store;
}

/** What one verification is for, beyond the server's own rules. */
export interface VerifyContext {
  /** A renewal: the account whose session it renews. A token of anyone else is refused before any lookup. */
  readonly account?: string | undefined;
  /**
   * Runs once the signature proved the token is the issuer's and before its jti is
   * remembered; throwing (a rate limit) refuses the token and leaves the replay cache untouched.
   */
  readonly admit?: ((did: string) => Promise<void>) | undefined;
}

export interface VerifiedIdentity {
  readonly did: string;
  /** Bidirectionally verified handle, or 'handle.invalid' (as Bluesky shows it). */
  readonly handle: string;
}

const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Only the two curves ATProto signing keys use. 'none', HS*, RS*, EdDSA... are refused here,
// before any key is fetched, so no algorithm-confusion path exists.
const ALLOWED_ALGS = new Set(['ES256K', 'ES256']);
// Plain atproto DIDs only: a `did#fragment` iss names a service (e.g. #atproto_labeler), not a user.
const PLAIN_DID = /^did:(plc:[a-z2-7]{24}|web:[a-zA-Z0-9._%-]+(:[a-zA-Z0-9._%-]+)*)$/;
const HANDLE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const fail = (reason: ServiceTokenFailure, message: string): never => {
  throw new ServiceTokenError(reason, message);
};

function decodeJson(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return fail('malformed', 'service token is not a JWT');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('malformed', 'service token is not a JWT');
  return value as Record<string, unknown>;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function createServiceTokenVerifier(opts: ServiceTokenVerifierOptions) {
  const skew = opts.clockSkewSeconds ?? 10;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const store = opts.store ?? new MemoryStore();
  const ownDids = new Set(opts.ownDids);
  const resolveHandle: ResolveHandle =
    opts.resolveHandle ?? (async (h) => (await opts.idResolver.handle.resolve(h).catch(() => undefined)) ?? undefined);

  async function rememberJti(key: string, until: number, t: number): Promise<void> {
    // One atomic set-if-absent: two concurrent uses of one token cannot both pass, on any replica.
    let fresh;
    try {
      fresh = await store.setIfAbsent(`jti:${key}`, Math.max(1, until - t) * 1000);
    } catch (err) {
      // Fail closed: a jti we cannot remember could be replayed.
      if (err instanceof StoreFullError) fail('replay_cache_full', 'too many sign-ins right now; try again shortly');
      throw err;
    }
    if (!fresh) fail('replayed', 'service token was already used');
  }

  async function checkedHandle(did: string): Promise<string> {
    try {
      const doc = await opts.idResolver.did.resolve(did);
      const aka = doc?.alsoKnownAs?.find((u) => u.startsWith('at://'));
      const handle = aka?.slice('at://'.length).toLowerCase();
      if (handle === undefined || !HANDLE.test(handle) || handle.length > 253) return 'handle.invalid';
      // The DID document alone may claim any handle: it counts only if the handle points back.
      return (await resolveHandle(handle)) === did ? handle : 'handle.invalid';
    } catch {
      return 'handle.invalid';
    }
  }

  return async function verify(jwt: string, context: VerifyContext = {}): Promise<VerifiedIdentity> {
    if (typeof jwt !== 'string' || jwt.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(jwt)) {
      fail('malformed', 'service token is not a JWT');
    }
    const [h64 = '', p64 = '', sig = ''] = jwt.split('.');
    const header = decodeJson(h64);
    if (typeof header.alg !== 'string' || !ALLOWED_ALGS.has(header.alg)) fail('bad_alg', 'service token algorithm not accepted');
    // typ other than JWT (at+jwt, refresh+jwt, dpop+jwt) is some other kind of token; crit
    // extensions we do not implement must be refused (RFC 7515 4.1.11).
    if ((header.typ !== undefined && header.typ !== 'JWT') || header.crit !== undefined) fail('bad_alg', 'service token header not accepted');
    if (sig === '') fail('bad_signature', 'service token is not signed');

    const p = decodeJson(p64);
    const { iss, aud, lxm, exp, iat, jti } = p;
    if (typeof iss !== 'string' || typeof aud !== 'string' || !isInt(exp) || !isInt(iat)) fail('bad_claims', 'service token lacks iss, aud, exp or iat');
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) fail('bad_claims', 'service token lacks a jti');
    const did = iss as string;
    if (!PLAIN_DID.test(did)) fail('bad_iss', 'service token issuer must be a did:plc or did:web account');
    // Compared before the signature: checking it would resolve a DID anyone can name.
    if (context.account !== undefined && did !== context.account) {
      fail('other_account', 'the session to renew belongs to another account; sign in again');
    }
    // The token must have been minted for us; one minted for another server is useless here.
    if (!ownDids.has(aud as string)) fail('bad_aud', 'service token was made for a different server');
    if (lxm !== opts.lxm) fail('bad_lxm', `service token must be for ${opts.lxm}`);
    const t = now();
    // No skew on exp: a token is dead at exp (verifyJwt also checks exp with the real clock).
    if ((exp as number) <= t) fail('expired', 'service token has expired');
    if ((iat as number) > t + skew) fail('iat_in_future', 'service token is issued in the future');
    if ((exp as number) - (iat as number) > opts.maxLifetimeSeconds || (exp as number) <= (iat as number)) {
      fail('lifetime_too_long', `service token lifetime must be at most ${opts.maxLifetimeSeconds} s`);
    }

    // Signature against the #atproto key of iss's DID document. verifyJwt re-fetches the key
    // once with forceRefresh when it does not match (key rotation), like the PDS does.
    let resolveFailed = false;
    const getSigningKey = async (issuer: string, forceRefresh: boolean): Promise<string> => {
      try {
        return await opts.idResolver.did.resolveAtprotoKey(issuer, forceRefresh);
      } catch (err) {
        resolveFailed = true;
        throw err;
      }
    };
    try {
      await verifyJwt(jwt, aud as string, opts.lxm, getSigningKey);
    } catch (err) {
      if (resolveFailed) fail('did_unresolvable', 'could not resolve the signer\'s DID document');
      // verifyJwt checks exp against the real clock without our skew allowance.
      if ((err as { customErrorName?: string }).customErrorName === 'JwtExpired') fail('expired', 'service token has expired');
      fail('bad_signature', 'service token signature does not match the account\'s key');
    }

    await context.admit?.(did);
    await rememberJti(`${did} ${jti as string}`, (exp as number) + skew, t);
    return { did, handle: await checkedHandle(did) };
  };
}
