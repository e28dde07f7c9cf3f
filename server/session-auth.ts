// The one place that decides whether a call needs a session and checks it. It is
// fail-closed: every procedure needs a valid bearer session JWT except the few listed as
// public, so a service or method added later is protected without anyone remembering to.
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import type { DescMethod } from '@bufbuild/protobuf';

/** Who is calling, as established by a verified session JWT. */
export interface Session {
  readonly did: string;
  readonly handle: string;
  /** Unix seconds when the session JWT stops being accepted. */
  readonly expiresAt: number;
}

/**
 * Verifies a compact session JWT (signature, issuer, audience, expiry) and returns the
 * session, or throws ConnectError(Code.Unauthenticated). Never include the token in the error.
 */
export type SessionVerifier = (token: string) => Promise<Session>;

const sessionKey = createContextKey<Session | undefined>(undefined);

// RFC 6750 b64token; bounded so a huge header costs nothing to reject.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]{1,4096}=*)$/;

export function bearerToken(authorization: string | null): string | undefined {
  return authorization === null ? undefined : BEARER.exec(authorization.trim())?.[1];
}

export function requireSession(options: { publicMethods: readonly DescMethod[]; verify: SessionVerifier }): Interceptor {
  const isPublic = new Set(options.publicMethods);
  return (next) => async (req) => {
    if (isPublic.has(req.method)) return next(req);
    const token = bearerToken(req.header.get('authorization'));
    if (token === undefined) {
      throw new ConnectError(
        'sign in first: this call needs "authorization: Bearer <session token>" from AuthService.CreateSession',
        Code.Unauthenticated,
      );
    }
    req.contextValues.set(sessionKey, await options.verify(token));
    return next(req);
  };
}

/** The caller's session inside a handler behind requireSession. */
export function sessionOf(context: HandlerContext): Session {
  const session = context.values.get(sessionKey);
  // Reaching a handler without a session means the route is wired wrongly: fail, never serve anonymously.
  if (session === undefined) throw new ConnectError('no session on a protected call', Code.Internal);
  return session;
}
