// Structured logs: one JSON line per event on stdout. Request lines carry only the
// procedure, outcome, duration and peer: never headers, tokens or message bodies, since
// those hold bearer tokens and service-auth JWTs that would be replayable from a log.
import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';

export type LogWriter = (line: string) => void;

export const stdoutWriter: LogWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

export function logEvent(write: LogWriter, msg: string, fields: Record<string, unknown> = {}): void {
  write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));
}

/** Remote address of the HTTP/2 connection (Envoy's, behind the proxy); set per request by the adapter. */
export const peerKey = createContextKey<string>('unknown');

/** "ok", or the gRPC code name in Connect's spelling ("unauthenticated", "not_found"...). */
export function outcomeOf(error: unknown): string {
  return codeToString(ConnectError.from(error).code);
}

/**
 * Logs every RPC once it ends. Must be the outermost interceptor so that rejections by
 * the session check are logged too. A server stream is logged when it ends; one the
 * client abandons is logged as "canceled".
 */
export function logRequests(write: LogWriter = stdoutWriter): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const done = (code: string): void =>
      logEvent(write, 'rpc', {
        procedure: `/${req.service.typeName}/${req.method.name}`,
        code,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        peer: req.contextValues.get(peerKey),
      });
    let res;
    try {
      res = await next(req);
    } catch (error) {
      done(outcomeOf(error));
      throw error;
    }
    if (!res.stream) {
      done('ok');
      return res;
    }
    return { ...res, message: tracked(res.message, done) };
  };
}

async function* tracked<T>(messages: AsyncIterable<T>, done: (code: string) => void): AsyncGenerator<T> {
  let code = codeToString(Code.Canceled);
  try {
    yield* messages;
    code = 'ok';
  } catch (error) {
    code = outcomeOf(error);
    throw error;
  } finally {
    done(code);
  }
}
