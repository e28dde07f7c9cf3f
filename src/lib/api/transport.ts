// The one place a gRPC-Web transport to a Microclimate server is made. Both identity
// (AuthService) and channels (ChannelsService) talk through it, which is why it lives in
// its own folder rather than in lib/auth or lib/channels.
import { Code, ConnectError, type Interceptor, type Transport } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';

export interface TransportOptions {
	/** Read on every call, so a renewed session JWT is used without rebuilding clients. */
	getBearer?: () => string | undefined;
	/**
	 * Called once when a unary call is refused as UNAUTHENTICATED (an expired JWT); the
	 * call is retried with the token it returns. Streams are not retried here: their
	 * owners resume them (and renew) themselves.
	 */
	renew?: () => Promise<string | undefined>;
}

export function createServerTransport(baseUrl: string, options: TransportOptions = {}): Transport {
	const interceptors: Interceptor[] = [];
	const { getBearer, renew } = options;
	if (getBearer) {
		interceptors.push((next) => async (req) => {
			const token = getBearer();
			if (token) req.header.set('authorization', `Bearer ${token}`);
			try {
				return await next(req);
			} catch (e) {
				const err = ConnectError.from(e);
				if (err.code !== Code.Unauthenticated || !renew || req.stream || req.signal.aborted) throw err;
				const renewed = await renew();
				if (!renewed) throw err;
				req.header.set('authorization', `Bearer ${renewed}`);
				return next(req);
			}
		});
	}
	// Binary framing: Envoy's grpc_web filter does not translate grpc-web+json.
	return createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors });
}
