// The one place a gRPC-Web transport to a Microclimate server is made. Both identity
// (AuthService) and channels (ChannelsService) talk through it, which is why it lives in
// its own folder rather than in lib/auth or lib/channels.
import { Code, ConnectError, type Interceptor, type Transport } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';

/** A session JWT together with the server that issued it. */
export interface Bearer {
	serverUrl: string;
	token: string;
}

export interface TransportOptions {
	/**
	 * Read on every call, so a renewed session JWT is used without rebuilding clients.
	 * Security: the transport is bound to one server, the session is not (another tab may
	 * sign in elsewhere and this tab adopt it). A JWT is only ever sent to the server that
	 * issued it: a bearer for another server fails the call here, without sending anything.
	 */
	getBearer?: () => Bearer | undefined;
	/**
	 * Called once when a unary call is refused as UNAUTHENTICATED (an expired JWT); the
	 * call is retried with the bearer it returns (if it is this server's). A renewal that
	 * fails for a passing reason fails the call as UNAVAILABLE, so callers retry it.
	 * Streams are not retried here: their owners resume them (and renew) themselves.
	 */
	renew?: () => Promise<Bearer | undefined>;
}

export function createServerTransport(baseUrl: string, options: TransportOptions = {}): Transport {
	const interceptors: Interceptor[] = [];
	const { getBearer, renew } = options;
	if (getBearer) {
		interceptors.push((next) => async (req) => {
			req.header.set('authorization', `Bearer ${tokenFor(baseUrl, getBearer())}`);
			try {
				return await next(req);
			} catch (e) {
				const err = ConnectError.from(e);
				if (err.code !== Code.Unauthenticated || !renew || req.stream || req.signal.aborted) throw err;
				let renewed: Bearer | undefined;
				try {
					renewed = await renew();
				} catch (cause) {
					throw new ConnectError('Reconnecting: the session could not be renewed just now', Code.Unavailable, undefined, undefined, cause);
				}
				if (!renewed) throw err;
				req.header.set('authorization', `Bearer ${tokenFor(baseUrl, renewed)}`);
				return next(req);
			}
		});
	}
	// Binary framing: Envoy's grpc_web filter does not translate grpc-web+json.
	return createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors });
}

function tokenFor(baseUrl: string, bearer: Bearer | undefined): string {
	if (!bearer) throw new ConnectError('Not signed in', Code.Unauthenticated);
	if (bearer.serverUrl !== baseUrl) throw new ConnectError('The session belongs to another server', Code.Unauthenticated);
	return bearer.token;
}
