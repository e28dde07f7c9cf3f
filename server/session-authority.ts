// Everything the server needs to sign people in and to check their sessions, built once
// from the configuration: the service-token verifier (DID resolution, replay cache), the
// session JWT key, and the sign-in rate limits.
//
// Rate limits: a new sign-in counts against the client's address (IPv6: its /64) and its
// DID. A renewal, i.e. CreateSession carrying the session it replaces as its Bearer, counts
// only against that account's renewal budget: a whole office behind one NAT renews every
// few minutes and must not be signed out by the per-address limit.
//
// Sign-out: sessions are stateless JWTs, so a session (and any stream it opened) lasts
// until its expiry; that lifetime (MICROCLIMATE_SESSION_TTL_SECONDS) is the bound on a
// signed-out or stolen session. Revoking the OAuth session stops its renewals.
import { Code, ConnectError } from '@connectrpc/connect';
import type { ServerConfig } from './config.js';
import { acceptedServiceDids, serviceDidRef } from './did-web.js';
import { clientKey } from './identity/client-key.js';
import { RateLimiter } from './identity/rate-limit.js';
import { buildIdentity, type Identity } from './identity/resolver.js';
import { createServiceTokenVerifier, ServiceTokenError } from './identity/service-token.js';
import { createSessionTokens, SessionTokenError } from './identity/session-jwt.js';
import { loadSessionKeys } from './identity/session-keys.js';
import { serviceTokenRefusals, signIns } from './metrics/registry.js';
import type { Session, SessionVerifier } from './session-auth.js';
import { storeFault } from './store/faults.js';
import { StoreUnavailableError, type Store } from './store/store.js';

/** How long after its expiry a session still marks a CreateSession as its renewal. */
const RENEWAL_GRACE_SECONDS = 3600;

export interface SessionAuthority {
  /** Verifies a PDS-minted service token and issues a session, or throws a ConnectError. */
  /** previousSession: the caller's current (or recently expired) session JWT, for a renewal. */
  signIn(serviceToken: string, clientAddress: string, previousSession?: string): Promise<{ token: string; did: string; handle: string; expiresAt: number }>;
  verifySession: SessionVerifier;
}

/** identity: DID and handle lookups; built from the configuration unless given (unit tests). */
export async function createSessionAuthority(config: ServerConfig, store: Store, identity?: Identity): Promise<SessionAuthority> {
  identity ??= buildIdentity({ plcUrl: config.plcUrl, dev: config.dev, rehearsalPrivateAddresses: config.rehearsalPrivateAddresses, pdsUrlForHandles: config.devHandleResolverUrl });
  const verifyServiceToken = createServiceTokenVerifier({
    ownDids: acceptedServiceDids(config.publicHosts),
    lxm: config.lxm,
    maxLifetimeSeconds: config.maxServiceTokenLifetimeSeconds,
    idResolver: identity.idResolver,
    resolveHandle: identity.resolveHandle,
    store,
  });
  const keys = await loadSessionKeys(config);
  // Sessions are good at this server only: iss and aud are its DID reference. Every host it
  // is reached by is accepted on verify, and the one signed is the first in sorted order, so
  // replicas listing their hosts in different orders still agree.
  const ownDids = acceptedServiceDids(config.publicHosts);
  const tokens = createSessionTokens({ keys, issuer: serviceDidRef([...config.publicHosts].sort()[0]!), accepted: ownDids });
  // Per address: a burst from one client; per DID: one account hammering from many places.
  const byAddress = new RateLimiter({ store, name: 'sign-in:address', limit: config.signInRateLimit, windowMs: 60_000 });
  const byDid = new RateLimiter({ store, name: 'sign-in:did', limit: config.signInRateLimit, windowMs: 60_000 });
  const renewals = new RateLimiter({ store, name: 'renewal:did', limit: config.renewalRateLimit, windowMs: 60_000 });

  /** The DID of a session we issued and that expired at most the grace ago, else undefined. */
  async function renewing(previous: string | undefined): Promise<string | undefined> {
    if (previous === undefined) return undefined;
    try {
      return (await tokens.verifySession(previous, RENEWAL_GRACE_SECONDS)).did;
    } catch {
      return undefined; // not ours or too old: an ordinary sign-in
    }
  }

  async function admitAccount(did: string): Promise<void> {
    if (!(await byDid.take(did)).allowed) throw tooMany();
  }

  return {
    async signIn(serviceToken, clientAddress, previousSession) {
      const renewal = await renewing(previousSession);
      const kind = renewal === undefined ? 'sign_in' : 'renewal';
      try {
        const session = await issue(serviceToken, clientAddress, renewal);
        signIns.inc({ kind, result: 'ok' });
        return session;
      } catch (err) {
        signIns.inc({ kind, result: signInResult(err) });
        throw err;
      }
    },
    async verifySession(token): Promise<Session> {
      try {
        return await tokens.verifySession(token);
      } catch (err) {
        if (err instanceof SessionTokenError) {
          throw new ConnectError(err.reason === 'expired' ? 'session expired' : 'session token is not valid', Code.Unauthenticated);
        }
        throw err;
      }
    },
  };

  /** The sign-in or renewal itself (rate limits, the token's check, the session). */
  async function issue(serviceToken: string, clientAddress: string, renewal: string | undefined) {
    const budget = renewal === undefined ? await byAddress.take(clientKey(clientAddress)) : await renewals.take(renewal);
    if (!budget.allowed) throw tooMany();
    let who;
    try {
      who = await verifyServiceToken(serviceToken, {
        // A renewal is for the account whose session it carries: any other issuer is
        // refused before its DID is resolved (service-token.ts).
        account: renewal,
        // A new sign-in takes the account's budget once the signature proved the token
        // theirs (a forged one cannot spend someone else's) and before its jti is remembered.
        admit: renewal === undefined ? admitAccount : undefined,
      });
    } catch (err) {
      if (err instanceof ServiceTokenError) serviceTokenRefusals.inc({ reason: err.reason });
      throw toConnectError(err);
    }
    const { token, expiresAt } = await tokens.issueSession(who, config.sessionTtlSeconds);
    return { token, did: who.did, handle: who.handle, expiresAt };
  }
}

/** The sign-ins metric's result for a refused CreateSession (from the code it answers). */
function signInResult(err: unknown): string {
  if (err instanceof StoreUnavailableError) return 'unavailable';
  switch (err instanceof ConnectError ? err.code : Code.Internal) {
    case Code.ResourceExhausted:
      return 'rate_limited';
    case Code.Unavailable:
      return 'unavailable';
    case Code.Internal:
    case Code.Unknown:
      return 'error';
    default:
      return 'refused';
  }
}

function tooMany(): ConnectError {
  return new ConnectError('too many sign-in attempts; wait a minute and try again', Code.ResourceExhausted);
}

function toConnectError(err: unknown): unknown {
  // The replay cache is out of reach: refused (fail closed), and said to be temporary.
  if (err instanceof StoreUnavailableError) return storeFault(err);
  if (err instanceof ConnectError) return err; // a limit said no (admitAccount)
  if (!(err instanceof ServiceTokenError)) return new ConnectError('sign-in failed', Code.Internal);
  switch (err.reason) {
    case 'did_unresolvable':
      return new ConnectError(err.message, Code.Unavailable);
    case 'replay_cache_full':
      return new ConnectError(err.message, Code.ResourceExhausted);
    // The PDS sets iat and exp by its own clock: these say its clock and ours disagree (or
    // the token was long on its way), not that the account may not sign in. Not
    // UNAUTHENTICATED, which the app takes as "this session is over" and signs out every tab.
    case 'expired':
    case 'iat_in_future':
      return new ConnectError(`${err.message}; the clocks of your account's server and of this server may disagree`, Code.FailedPrecondition);
    default:
      return new ConnectError(err.message, Code.Unauthenticated);
  }
}
