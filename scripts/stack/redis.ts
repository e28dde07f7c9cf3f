// Redis for the replicated stack: Debian's redis-server on loopback, with a password and an
// append-only file, as a real deployment keeps one: LiveKit's nodes keep their room-to-node map
// in Redis, and a Redis that comes back empty lets a later join to a live room create a second
// copy of it on the other node (the people in the two copies cannot hear each other). So a
// restart keeps what was written (fsync every second); the stack starts from an empty one, and
// `redis/wipe` empties it on purpose (the data-loss fault the scale tests recover from).
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
  /** Keep an append-only file in `dir` (the stack's); a test's Redis keeps nothing. */
  persist?: boolean;
}

const STACK_REDIS: RedisPlace = { dir: path.join(STACK_DIR, 'redis'), name: 'Redis', persist: true };

/** Deletes what a stopped Redis persisted, so its next start is empty. */
export function wipeRedisData(place: RedisPlace = STACK_REDIS): void {
  for (const name of ['appendonlydir', 'dump.rdb']) fs.rmSync(path.join(place.dir, name), { recursive: true, force: true });
}

/**
 * The one way a redis-server is started, by the stack and by the tests that need a real one
 * (server/store/testing-redis.ts): loopback, the password in an owner-only config file, an
 * append-only file only where `place.persist` says so; resolves once it answers AUTH + PING.
 */
export async function startRedis(bin: string, redis: RedisEndpoint, track: Track, timeoutMs: number, place: RedisPlace = STACK_REDIS): Promise<void> {
  const t0 = performance.now();
  const { dir, name, persist = false } = place;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    config,
    [
      `port ${redis.port}`,
      `bind ${HOST}`,
      'protected-mode yes',
      `requirepass ${redis.password}`,
      'save ""',
      persist ? 'appendonly yes' : 'appendonly no',
      'appendfsync everysec',
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
