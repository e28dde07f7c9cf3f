// Everything the server needs to sign people in and to check their sessions, built once
// from the configuration: the service-token verifier (DID resolution, replay cache), the
// session JWT key, and the sign-in rate limits.
import { Code, ConnectError } from '@connectrpc/connect';
import type { ServerConfig } from './config.js';
import { acceptedServiceDids, serviceDidRef } from './did-web.js';
import { RateLimiter } from './identity/rate-limit.js';
import { buildIdentity } from './identity/resolver.js';
import { createServiceTokenVerifier, ServiceTokenError } from './identity/service-token.js';
import { createSessionTokens, loadOrCreateSessionKey, SessionTokenError } from './identity/session-jwt.js';
import type { Session, SessionVerifier } from './session-auth.js';

export interface SessionAuthority {
  /** Verifies a PDS-minted service token and issues a session, or throws a ConnectError. */
  signIn(serviceToken: string, clientAddress: string): Promise<{ token: string; did: string; handle: string; expiresAt: number }>;
  verifySession: SessionVerifier;
}

export async function createSessionAuthority(config: ServerConfig): Promise<SessionAuthority> {
  const identity = buildIdentity({ plcUrl: config.plcUrl, dev: config.dev, pdsUrlForHandles: config.devHandleResolverUrl });
  const verifyServiceToken = createServiceTokenVerifier({
    ownDids: acceptedServiceDids(config.publicHosts),
    lxm: config.lxm,
    maxLifetimeSeconds: config.maxServiceTokenLifetimeSeconds,
    idResolver: identity.idResolver,
    resolveHandle: identity.resolveHandle,
  });
  const key = await loadOrCreateSessionKey(config.dataDir, config.sessionKeyJwk);
  // Sessions name the server by its first public host; they are good at this server only.
  const tokens = createSessionTokens({ key, issuer: serviceDidRef(config.publicHosts[0]!) });
  // Per address: a burst from one client; per DID: one account hammering from many places.
  const byAddress = new RateLimiter({ limit: config.signInRateLimit, windowMs: 60_000 });
  const byDid = new RateLimiter({ limit: config.signInRateLimit, windowMs: 60_000 });

  return {
    async signIn(serviceToken, clientAddress) {
      if (!byAddress.take(clientAddress).allowed) throw tooMany();
      let who;
      try {
        who = await verifyServiceToken(serviceToken);
      } catch (err) {
        throw toConnectError(err);
      }
      if (!byDid.take(who.did).allowed) throw tooMany();
      const { token, expiresAt } = await tokens.issueSession(who, config.sessionTtlSeconds);
      return { token, did: who.did, handle: who.handle, expiresAt };
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
}

function tooMany(): ConnectError {
  return new ConnectError('too many sign-in attempts; wait a minute and try again', Code.ResourceExhausted);
}

function toConnectError(err: unknown): ConnectError {
  if (!(err instanceof ServiceTokenError)) return new ConnectError('sign-in failed', Code.Internal);
  switch (err.reason) {
    case 'did_unresolvable':
      return new ConnectError(err.message, Code.Unavailable);
    case 'replay_cache_full':
      return new ConnectError(err.message, Code.ResourceExhausted);
    default:
      return new ConnectError(err.message, Code.Unauthenticated);
  }
}
