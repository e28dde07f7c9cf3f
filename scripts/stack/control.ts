// The running stack's control socket. Tests and benchmarks run in other processes than the
// one that owns the stack; to prove that calls survive an SFU restart they ask it to stop
// and start LiveKit here, and the orchestrator keeps tracking the new process, so a stop
// still leaves nothing behind. A Unix socket in .stack/ (owner-only), not a TCP port:
// nothing else on the machine can reach it.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { STACK_DIR } from './config.js';

export const CONTROL_SOCKET = path.join(STACK_DIR, 'control.sock');

export type ControlActions = Record<string, () => Promise<void>>;

export async function serveControl(actions: ControlActions): Promise<{ close(): Promise<void> }> {
  fs.rmSync(CONTROL_SOCKET, { force: true });
  const server = http.createServer((req, res) => {
    const action = actions[(req.url ?? '').replace(/^\//, '')];
    if (req.method !== 'POST' || !action) {
      res.writeHead(404).end(`unknown action; known: ${Object.keys(actions).join(', ')}`);
      return;
    }
    action().then(
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
