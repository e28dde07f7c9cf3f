// Structured logs: one JSON object a line on stdout (systemd's journal or the stack's log
// file keeps it): `time`, `level`, `component`, `msg`, then the event's fields. Request lines
// carry the request id Envoy gave the call (`x-request-id`, also in Envoy's access log), the
// gRPC method, its code and duration and the peer: never headers, tokens or message bodies,
// since those hold bearer tokens and service-auth JWTs that would be replayable from a log.
// No DID either: the request id finds the call in Envoy's log when an operator needs more.
//
// The writer refuses what must never be written, whoever calls it: a field named like a
// secret (token, jwt, password, secret, authorization, cookie, key material) is written as
// "[redacted]", and any string that looks like a JWT (three base64url parts, the first a
// JSON header) is blanked inside error messages too.
import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';

export type LogWriter = (line: string) => void;
export type LogLevel = 'info' | 'warn' | 'error';

export const stdoutWriter: LogWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

const SECRET_FIELD = /token|jwt|password|passwd|secret|authorization|cookie|api_?key|private_?key|jwk/i;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
export const REDACTED = '[redacted]';

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT, REDACTED);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? REDACTED : scrub(v, depth + 1)]));
}

// Which part of the server an event comes from, and how loud it is, by the event's name: the
// call sites stay one line each (logEvent(log, 'store_unavailable', {...})).
function componentOf(msg: string): string {
  if (msg === 'rpc') return 'rpc';
  if (/^(webhook|livekit|one_call)/.test(msg)) return 'voice';
  if (/^(store|lease)_/.test(msg)) return 'store';
  return 'server';
}

function levelOf(msg: string): LogLevel {
  if (msg === 'unhandled_rejection') return 'error';
  if (/_(failed|refused|unavailable|lost|not_applied|not_configured)$/.test(msg)) return 'warn';
  return 'info';
}

export function logEvent(write: LogWriter, msg: string, fields: Record<string, unknown> = {}): void {
  const { level, component, ...rest } = fields;
  write(JSON.stringify({
    time: new Date().toISOString(),
    level: typeof level === 'string' ? level : levelOf(msg),
    component: typeof component === 'string' ? component : componentOf(msg),
    msg,
    ...(scrub(rest) as Record<string, unknown>),
  }));
}

/**
 * The request id Envoy set (`x-request-id`: Envoy makes one for every request from outside and
 * logs it too). Anything else a direct caller sends is bounded to what an id looks like.
 */
export function requestIdOf(headers: Headers): string | undefined {
  const id = headers.get('x-request-id');
  return id && /^[A-Za-z0-9._:-]{1,128}$/.test(id) ? id : undefined;
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
    const requestId = requestIdOf(req.header);
    const done = (code: string): void =>
      logEvent(write, 'rpc', {
        request_id: requestId,
        procedure: `/${req.service.typeName}/${req.method.name}`,
        code,
        level: code === 'ok' || code === 'canceled' ? 'info' : code === 'internal' || code === 'unknown' ? 'error' : 'warn',
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
