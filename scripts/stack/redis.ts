// Redis for the replicated stack: Debian's redis-server on loopback, with a password and no
// persistence (a restart starts empty, which is the fault the scale tests recover from).
// The password is random per stack and lives only in owner-only files in .stack/ (the
// Redis config and the LiveKit node configs) and in the API replicas' environment: never
// on a command line, where `ps` would show it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HOST, ROOT, STACK_DIR, log, since } from './config.js';
import type { Track } from './components.js';
import type { RedisEndpoint } from './scale-config.js';
import { startProcess, waitHealthy } from './processes.js';

export function newRedisEndpoint(port: number): RedisEndpoint {
  return { port, password: crypto.randomBytes(24).toString('hex') };
}

/** True once Redis accepts the password and answers PING (one RESP exchange, no client library). */
export function redisAnswers(redis: RedisEndpoint): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: redis.port });
    let reply = '';
    socket.setTimeout(2000, () => (socket.destroy(), reject(new Error('no answer within 2 s'))));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`AUTH ${redis.password}\r\nPING\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) return socket.destroy(), resolve(true);
      if (reply.startsWith('-')) return socket.destroy(), reject(new Error(reply.trim()));
    });
  });
}

/** Where a Redis keeps its config and log, and its name in messages: the stack's, or a test's own. */
export interface RedisPlace {
  dir: string;
  name: string;
}

const STACK_REDIS: RedisPlace = { dir: path.join(STACK_DIR, 'redis'), name: 'Redis' };

/**
 * The one way a redis-server is started, by the stack and by the tests that need a real one
 * (server/store/testing-redis.ts): loopback, the password in an owner-only config file, no
 * persistence; resolves once it answers AUTH + PING.
 */
export async function startRedis(bin: string, redis: RedisEndpoint, track: Track, timeoutMs: number, place: RedisPlace = STACK_REDIS): Promise<void> {
  const t0 = performance.now();
  const { dir, name } = place;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    config,
    [
      `port ${redis.port}`,
      `bind ${HOST}`,
      'protected-mode yes',
      `requirepass ${redis.password}`,
      // No persistence: nothing survives a restart, on purpose.
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      'daemonize no',
      'logfile ""',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const proc = startProcess({ name, command: bin, args: [config], cwd: ROOT, ...(place !== STACK_REDIS && { logDir: dir }) });
  track(proc);
  await waitHealthy(proc, name, `AUTH + PING on ${HOST}:${redis.port}`, () => redisAnswers(redis), timeoutMs);
  if (place === STACK_REDIS) log(`Redis ready on ${HOST}:${redis.port} (${since(t0)})`);
}
