// AuthService: what this server is, and trading a service-auth token for a session.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import type { ServerConfig } from '../config.js';
import { publicHostFor, serviceDidRef } from '../did-web.js';
import { CLIENT_ADDRESS_HEADER } from '../identity/client-key.js';
import type { ProfileBook } from '../identity/profile-book.js';
import { SIGN_IN_PROFILE_WAIT_MS } from '../identity/profiles.js';
import { peerKey } from '../log.js';
import { bearerToken } from '../session-auth.js';
import type { SessionAuthority } from '../session-authority.js';

export function authService(config: ServerConfig, version: string, authority: SessionAuthority, profiles?: ProfileBook): ServiceImpl<typeof AuthService> {
  return {
    getServerInfo(_req, context) {
      const host = publicHostFor(requestHost(context.url), config.publicHosts);
      return {
        name: config.name,
        serviceDid: serviceDidRef(host),
        lxm: config.lxm,
        limits: {
          maxServiceTokenLifetimeSeconds: config.maxServiceTokenLifetimeSeconds,
          sessionLifetimeSeconds: config.sessionTtlSeconds,
          maxParticipantsPerChannel: config.maxParticipantsPerChannel,
        },
        version,
      };
    },
    async createSession(req, context) {
      if (!req.serviceToken) throw new ConnectError('service_token is required', Code.InvalidArgument);
      // A renewal carries the session it replaces (see session-authority.ts).
      const previous = bearerToken(context.requestHeader.get('authorization'));
      const session = await authority.signIn(req.serviceToken, clientAddress(context), previous);
      // Every sign-in and renewal reads the profile again (a new name shows at the next
      // session), waiting only a moment: a slow or broken PDS costs the name, not the sign-in.
      const profile = await profiles?.fresh(session.did, SIGN_IN_PROFILE_WAIT_MS);
      return {
        sessionToken: session.token,
        did: session.did,
        handle: session.handle,
        expiresAt: timestampFromMs(session.expiresAt * 1000),
        displayName: profile?.displayName ?? '',
        avatarUrl: profile?.avatarUrl ?? '',
      };
    },
  };
}

/** Host (with port) the request was addressed to: connect-node builds context.url from :authority / Host. */
function requestHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * The address of the person's device, for rate limiting. The server listens on loopback
 * behind Envoy, which removes any client-sent copy of CLIENT_ADDRESS_HEADER and sets it to
 * the real client (after the trusted hops, deploy/envoy.yaml); a direct caller (tests, the
 * stack's health check) is its own peer.
 */
function clientAddress(context: HandlerContext): string {
  return context.requestHeader.get(CLIENT_ADDRESS_HEADER) ?? context.values.get(peerKey);
}
