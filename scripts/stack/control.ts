// The running stack's control socket. Tests and benchmarks run in other processes than the
// one that owns the stack; to prove that calls survive a part going down they ask it here to
// stop and start the API server, Envoy, LiveKit or the PDS, and the orchestrator keeps
// tracking the new processes, so a stop still leaves nothing behind. A Unix socket in
// .stack/ (owner-only), not a TCP port: nothing else on the machine can reach it.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { STACK_DIR } from './config.js';
import { wipeRedisData } from './redis.js';
import type { Restartable } from './restartable.js';

export const CONTROL_SOCKET = path.join(STACK_DIR, 'control.sock');

export type ControlActions = Record<string, () => Promise<void>>;

export interface ControlledParts {
  api: Restartable;
  envoy: Restartable;
  livekit: Restartable;
  pds: { stopPds(): Promise<void>; startPds(): Promise<void> };
  /** The replicated stack's second API replica and LiveKit node, and its Redis. */
  api2?: Restartable;
  livekit2?: Restartable;
  redis?: Restartable;
}

/**
 * `<part>/stop`, `<part>/start`, `<part>/restart` for api, envoy, livekit and pds, plus
 * `api/kill` and `envoy/kill` (SIGKILL, like a crash), and `redis/wipe` (Redis back empty, as
 * after a data loss). Each answers once the part is down,
 * or once it is up and passes its health check again.
 */
export function controlActions(parts: ControlledParts): ControlActions {
  const actions: ControlActions = {
    'pds/stop': () => parts.pds.stopPds(),
    'pds/start': () => parts.pds.startPds(),
  };
  // A graceful LiveKit stop drains rooms first: stop it abruptly, like a crash.
  const livekits = [['livekit', parts.livekit], ['livekit2', parts.livekit2]] as const;
  for (const [key, part] of livekits) {
    if (!part) continue;
    actions[`${key}/stop`] = () => part.stop({ abrupt: true });
    actions[`${key}/start`] = () => part.start();
  }
  const graceful = [['api', parts.api], ['envoy', parts.envoy], ['api2', parts.api2], ['redis', parts.redis]] as const;
  for (const [key, part] of graceful) {
    if (!part) continue;
    actions[`${key}/stop`] = () => part.stop(); // SIGTERM: the part shuts down gracefully
    actions[`${key}/kill`] = () => part.stop({ abrupt: true });
    actions[`${key}/start`] = () => part.start();
  }
  for (const key of ['api', 'envoy', 'livekit', 'pds', 'api2', 'livekit2', 'redis'].filter((k) => actions[`${k}/start`])) {
    actions[`${key}/restart`] = async () => {
      await actions[`${key}/stop`]!();
      await actions[`${key}/start`]!();
    };
  }
  const redis = parts.redis;
  if (redis) {
    // Data loss: Redis comes back empty (its restart keeps its append-only file).
    actions['redis/wipe'] = async () => {
      await redis.stop({ abrupt: true });
      wipeRedisData();
      await redis.start();
    };
  }
  return actions;
}

export async function serveControl(actions: ControlActions): Promise<{ close(): Promise<void> }> {
  fs.rmSync(CONTROL_SOCKET, { force: true });
  // One action at a time: a start racing a stop of the same part would leave either state.
  let queue: Promise<unknown> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const action = actions[(req.url ?? '').replace(/^\//, '')];
    if (req.method !== 'POST' || !action) {
      res.writeHead(404).end(`unknown action; known: ${Object.keys(actions).join(', ')}`);
      return;
    }
    const done = queue.then(action);
    queue = done.catch(() => {});
    done.then(
      () => res.writeHead(204).end(),
      (err: unknown) => res.writeHead(500).end(err instanceof Error ? err.message : String(err)),
    );
  });
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(CONTROL_SOCKET, resolve));
  } finally {
    process.umask(previous);
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(CONTROL_SOCKET, { force: true });
      }),
  };
}

/** Asks the running stack to do `action` (e.g. "livekit/stop") and waits until it is done. */
export function sendControl(action: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: CONTROL_SOCKET, method: 'POST', path: `/${action}` }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`stack control ${action}: ${body}`))));
    });
    req.on('error', (err) => reject(new Error(`stack control ${action}: is a stack running? (${err.message})`)));
    req.end();
  });
}
