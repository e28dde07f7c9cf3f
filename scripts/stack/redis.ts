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

export async function startRedis(bin: string, redis: RedisEndpoint, track: Track, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  const dir = path.join(STACK_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
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
  const proc = startProcess({ name: 'Redis', command: bin, args: [config], cwd: ROOT });
  track(proc);
  await waitHealthy(proc, 'Redis', `AUTH + PING on ${HOST}:${redis.port}`, () => redisAnswers(redis), timeoutMs);
  log(`Redis ready on ${HOST}:${redis.port} (${since(t0)})`);
}
