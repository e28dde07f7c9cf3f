// How a store outage reaches clients: UNAVAILABLE with a human message, for every RPC,
// never INTERNAL and never a crash. What fails is refused (a sign-in whose jti cannot be
// remembered is not let through); the client retries, and works once the store is back.
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { StoreUnavailableError } from './store.js';

/** err as the ConnectError a client should see when it is a store outage; otherwise err itself. */
export function storeFault(err: unknown): unknown {
  return err instanceof StoreUnavailableError ? new ConnectError('the service is briefly unavailable; try again in a moment', Code.Unavailable) : err;
}

/** Turns store outages in unary calls (and a stream's first step) into UNAVAILABLE. */
export function storeFaults(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw storeFault(err);
    }
  };
}
