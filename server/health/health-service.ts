// grpc.health.v1.Health, for Envoy's active health checks and for operators
// (`grpcurl -plaintext host:port grpc.health.v1.Health/Check`). The empty service name
// is the whole server; each API service answers for itself too, with the same status,
// since all of them need the store. Public: a health check carries no session.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../src/lib/gen/grpc/health/v1/health_pb.js';
import type { ServingState } from './serving.js';

export function healthService(state: ServingState, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(['', ...services]);
  const status = () => (state.serving ? Status.SERVING : Status.NOT_SERVING);
  return {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service "${req.service.slice(0, 100)}"`, Code.NotFound);
      return { status: status() };
    },
    list() {
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: status() }])) };
    },
    async *watch(req, context) {
      if (!known.has(req.service)) {
        // The protocol's answer for Watch: say so and keep the stream (the service may appear).
        yield { status: Status.SERVICE_UNKNOWN };
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
        return;
      }
      let changed = true;
      let wake: (() => void) | undefined;
      const stop = state.onChange(() => {
        changed = true;
        wake?.();
      });
      const ended = new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
      try {
        let last: Status | undefined;
        while (!context.signal.aborted) {
          if (!changed) {
            await Promise.race([new Promise<void>((resolve) => (wake = resolve)), ended]);
            continue;
          }
          changed = false;
          const now = status();
          if (now !== last) yield { status: (last = now) };
        }
      } finally {
        stop();
      }
    },
  };
}
