// Test support (not used by the server): a real Debian redis-server on loopback, with a
// password and no persistence, that a test can stop and start again on the same port.
// Started exactly as the stack starts its own (scripts/stack/redis.ts), on a free port.
// Tests that need Redis fail loudly when it is not installed, never skip: the vitest global
// set-up (tests/unit/redis-global-setup.ts) installs it as root, like the stack's browsers.
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newRedisEndpoint, startRedis } from '../../scripts/stack/redis.js';
import { redisUrl } from '../../scripts/stack/scale-config.js';

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
  /** Kills the server (all data gone: no persistence), as a crash would, and removes its folder. */
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
  const redis = newRedisEndpoint(port);
  // Its config (with the password) and log in a private temporary folder, never on a command line.
  const dir = await mkdtemp(path.join(tmpdir(), 'microclimate-redis-'));
  let current: { stop(options?: { abrupt?: boolean }): Promise<void> } | undefined;
  const start = () => startRedis(REDIS_SERVER_BIN, redis, (proc) => (current = proc), 10_000, { dir, name: `Redis test ${port}` });
  const stop = async () => {
    const proc = current;
    current = undefined;
    await proc?.stop({ abrupt: true });
    // start() writes the config again; nothing with the password stays behind.
    await rm(dir, { recursive: true, force: true });
  };
  await start();
  return { url: redisUrl(redis), port, start, stop };
}
