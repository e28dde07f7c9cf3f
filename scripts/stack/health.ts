// Health checks that speak the app's own protocols: plain gRPC to the API server, and
// gRPC-Web plus a CORS preflight through Envoy, the way the browser will.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.js';

/**
 * True once the API server answers GetServerInfo over gRPC (HTTP/2 cleartext). An answer
 * with an error other than UNAVAILABLE still proves a gRPC server is listening.
 */
export async function apiAnswers(baseUrl: string): Promise<boolean> {
  const sessionManager = new Http2SessionManager(baseUrl);
  const client = createClient(AuthService, createGrpcTransport({ baseUrl, sessionManager }));
  try {
    await client.getServerInfo({}, { timeoutMs: 2000 });
    return true;
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code === Code.Unavailable || e.code === Code.DeadlineExceeded) throw e;
    return true;
  } finally {
    sessionManager.abort();
  }
}

/** True when a call through Envoy (gRPC-Web, HTTP/1.1) reaches the API server. */
export async function envoyForwards(baseUrl: string): Promise<boolean> {
  const client = createClient(AuthService, createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }));
  try {
    await client.getServerInfo({}, { timeoutMs: 2000 });
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code === Code.Unavailable || e.code === Code.DeadlineExceeded || e.code === Code.Unimplemented) {
      throw new Error(`gRPC-Web GetServerInfo through Envoy: ${e.message}`);
    }
  }
  return true;
}

/** Throws unless Envoy answers a CORS preflight from the app's origin as the browser needs. */
export async function checkCors(baseUrl: string, origin: string): Promise<void> {
  const res = await fetch(`${baseUrl}/microclimate.auth.v1.AuthService/GetServerInfo`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-grpc-web,x-user-agent',
    },
    signal: AbortSignal.timeout(2000),
  });
  await res.arrayBuffer();
  const allowed = res.headers.get('access-control-allow-origin');
  if (allowed !== origin && allowed !== '*') {
    throw new Error(`Envoy refuses CORS from ${origin} (HTTP ${res.status}, access-control-allow-origin: ${allowed ?? 'none'}): check cors in the Envoy config`);
  }
}
