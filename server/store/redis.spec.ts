import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { RedisStore } from './redis.js';
import { storeContract } from './store.contract.js';
import './testing-redis.js';

storeContract('RedisStore', async () => {
  // Two replicas' clients on one Redis; a prefix of its own keeps this test's keys apart.
  const prefix = `spec:${randomUUID()}:`;
  const a = new RedisStore({ url: inject('redisUrl'), prefix });
  const b = new RedisStore({ url: inject('redisUrl'), prefix });
  await Promise.all([a.connect(), b.connect()]);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});
