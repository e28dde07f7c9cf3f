// Whether this replica should get traffic: SERVING while it can do its job, NOT_SERVING
// while its store (Redis) is unreachable or while it drains before a stop. Envoy's active
// gRPC health checks read it (health-service.ts) and stop sending requests here; the drain
// also refuses new streams itself, for the requests already on their way.
import { EventEmitter } from 'node:events';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Store } from '../store/store.js';

export class ServingState {
  readonly #store: Pick<Store, 'available' | 'onAvailability'>;
  readonly #events = new EventEmitter();
  readonly #stopWatching: () => void;
  #draining = false;

  constructor(store: Pick<Store, 'available' | 'onAvailability'>) {
    this.#store = store;
    this.#events.setMaxListeners(0); // one per health Watch stream (Envoy, operators)
    this.#stopWatching = store.onAvailability(() => this.#events.emit('change', this.serving));
  }

  get serving(): boolean {
    return !this.#draining && this.#store.available;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on NOT_SERVING, for good: the process is about to stop. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#events.emit('change', this.serving);
  }

  /** Calls listener with the new status whenever it may have changed. */
  onChange(listener: (serving: boolean) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  close(): void {
    this.#stopWatching();
  }
}

/**
 * While draining, new server streams (WatchChannels) are refused with UNAVAILABLE, which
 * the client treats as "resume elsewhere"; unary calls still run to the end, since the
 * proxy may send a few more before its health check sees NOT_SERVING. `exempt` services
 * (the health service itself) are never refused.
 */
export function refuseStreamsWhileDraining(state: ServingState, exempt: readonly string[]): Interceptor {
  const spared = new Set(exempt);
  return (next) => async (req) => {
    if (state.draining && req.stream && !spared.has(req.service.typeName)) {
      throw new ConnectError('this server is restarting; reconnect', Code.Unavailable);
    }
    return next(req);
  };
}
