// Test support (not used by the server): a real Debian redis-server on loopback, with a
// password and no persistence, that a test can stop and start again on the same port.
// Tests that need Redis fail loudly when it is not installed, never skip: the vitest global
// set-up (tests/unit/redis-global-setup.ts) installs it as root, like the stack's browsers.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';

export const REDIS_SERVER_BIN = process.env.MICROCLIMATE_REDIS_SERVER || '/usr/bin/redis-server';

declare module 'vitest' {
  interface ProvidedContext {
    /** redis://:password@127.0.0.1:port of the redis-server the global set-up started. */
    redisUrl: string;
  }
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (all data gone: no persistence), as a crash would. */
  stop(): Promise<void>;
  /** Starts it again on the same port and password. */
  start(): Promise<void>;
}

export function assertRedisServerInstalled(): void {
  try {
    accessSync(REDIS_SERVER_BIN, constants.X_OK);
  } catch {
    throw new Error(
      `redis-server is missing at ${REDIS_SERVER_BIN}: the Redis store tests need it. ` +
        'Install it as root: `apt-get install -y --no-install-recommends redis-server` (or set MICROCLIMATE_REDIS_SERVER)',
    );
  }
}

/** A port nobody listens on right now, chosen by the OS (parallel test files never collide). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startTestRedis(): Promise<TestRedis> {
  assertRedisServerInstalled();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'];
    const proc = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${output.slice(-500)}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-500)}`));
      });
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  await start();
  return { url: `redis://:${password}@127.0.0.1:${port}`, port, start, stop };
}
