// Times every store operation and counts its failures (metrics: microclimate_store_*), by
// wrapping the store openStore() hands to the server; the store itself knows nothing of it.
import { storeAvailable, storeErrors, storeLatency } from './registry.js';
import { StoreFullError, StoreUnavailableError, type Store } from '../store/store.js';

const OPERATIONS = [
  'add', 'setIfAbsent', 'ttl', 'delete', 'holdLease', 'releaseLease', 'admit',
  'claim', 'renewClaims', 'unclaim', 'claims', 'read', 'replace',
] as const satisfies readonly (keyof Store)[];

function errorKind(error: unknown): string {
  if (error instanceof StoreUnavailableError) return 'unavailable';
  if (error instanceof StoreFullError) return 'full';
  return 'other';
}

/** `inner` with its operations measured under the label store=`kind` (memory, redis). */
export function measuredStore(inner: Store, kind: 'memory' | 'redis'): Store {
  storeAvailable.set({ store: kind }, inner.available ? 1 : 0);
  inner.onAvailability((available) => storeAvailable.set({ store: kind }, available ? 1 : 0));
  const measured: Partial<Store> = {};
  for (const operation of OPERATIONS) {
    (measured as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const end = storeLatency.startTimer({ store: kind, operation });
      try {
        // Looked up at each call, on the store itself (its methods use private fields).
        return await (inner[operation] as (...args: unknown[]) => Promise<unknown>).apply(inner, args);
      } catch (error) {
        storeErrors.inc({ store: kind, operation, error: errorKind(error) });
        throw error;
      } finally {
        end();
      }
    };
  }
  measured.watch = inner.watch.bind(inner);
  measured.onAvailability = inner.onAvailability.bind(inner);
  measured.close = inner.close.bind(inner);
  // A live getter (Object.assign would copy today's value).
  Object.defineProperty(measured, 'available', { get: () => inner.available, enumerable: true });
  return measured as Store;
}
