// Picks the store from the configuration: Redis when MICROCLIMATE_REDIS_URL is set (several
// replicas share it), else one in-memory store for this process (the default). Logs when
// the shared store goes away and comes back, once each time; never the URL (password).
import type { ServerConfig } from '../config.js';
import { measuredStore } from '../metrics/measured-store.js';
import { logEvent, type LogWriter } from '../log.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { Store } from './store.js';

export async function openStore(config: Pick<ServerConfig, 'redisUrl'>, log: LogWriter): Promise<Store> {
  if (config.redisUrl === undefined) return measuredStore(new MemoryStore(), 'memory');
  const store = new RedisStore({ url: config.redisUrl });
  store.onAvailability((available) => logEvent(log, available ? 'store_available' : 'store_unavailable', { store: 'redis' }));
  await store.connect();
  if (!store.available) logEvent(log, 'store_unavailable', { store: 'redis', note: 'retrying; calls answer UNAVAILABLE meanwhile' });
  return measuredStore(store, 'redis');
}
