// The API server's Prometheus metrics: one registry, every figure defined here and counted
// where it happens (the call sites import the metric they move). Served by serve.ts on the
// server's own admin port, never through Envoy. Label values come only from bounded sets
// (a result, a reason, a configured channel id, a store operation): never a DID, a handle or
// anything a caller chose, so a stranger cannot grow the series count.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
// process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_*, ...
collectDefaultMetrics({ register: registry });

const registers = [registry];

/** kind: sign_in | renewal; result: ok | refused | rate_limited | unavailable | error. */
export const signIns = new Counter({
  name: 'microclimate_sign_ins_total',
  help: 'CreateSession calls by kind (sign_in, renewal) and result (ok, refused, rate_limited, unavailable, error)',
  labelNames: ['kind', 'result'] as const,
  registers,
});

/** reason: ServiceTokenFailure (service-token.ts), a closed set. */
export const serviceTokenRefusals = new Counter({
  name: 'microclimate_service_token_refusals_total',
  help: 'Service-auth tokens refused at sign-in, by reason',
  labelNames: ['reason'] as const,
  registers,
});

export const watchStreamsOpen = new Gauge({
  name: 'microclimate_watch_streams_open',
  help: 'WatchChannels streams open on this replica',
  registers,
});

/** limit: per_account (MICROCLIMATE_MAX_STREAMS_PER_DID) | replica (MICROCLIMATE_MAX_STREAMS). */
export const watchStreamCapHits = new Counter({
  name: 'microclimate_watch_stream_cap_hits_total',
  help: 'WatchChannels streams refused because a cap was reached, by cap (per_account, replica)',
  labelNames: ['limit'] as const,
  registers,
});

/** channel: a configured channel id (the config bounds the set). */
export const channelTokensIssued = new Counter({
  name: 'microclimate_channel_tokens_issued_total',
  help: 'LiveKit join tokens issued by GetChannelToken, by channel',
  labelNames: ['channel'] as const,
  registers,
});

export const webhookLag = new Histogram({
  name: 'microclimate_livekit_webhook_lag_seconds',
  help: 'Time from a LiveKit event (its created_at, whole seconds) to its verified arrival here',
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
  registers,
});

/** result: applied | repeat | not_applied (the store failed; LiveKit retries). */
export const webhooks = new Counter({
  name: 'microclimate_livekit_webhooks_total',
  help: 'Verified LiveKit webhooks by result (applied, repeat, not_applied)',
  labelNames: ['result'] as const,
  registers,
});

export const webhookSignatureRefusals = new Counter({
  name: 'microclimate_livekit_webhook_signature_refusals_total',
  help: 'LiveKit webhooks refused because their signature or checksum did not verify',
  registers,
});

/** store: memory | redis; operation: a Store method name. */
export const storeLatency = new Histogram({
  name: 'microclimate_store_operation_seconds',
  help: 'Store (memory or Redis) operation latency, by store and operation',
  labelNames: ['store', 'operation'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  registers,
});

/** error: unavailable (cannot reach it) | full (memory bound) | other. */
export const storeErrors = new Counter({
  name: 'microclimate_store_errors_total',
  help: 'Store operations that failed, by store, operation and error (unavailable, full, other)',
  labelNames: ['store', 'operation', 'error'] as const,
  registers,
});

export const storeAvailable = new Gauge({
  name: 'microclimate_store_available',
  help: '1 while the store can be reached, 0 while it cannot',
  labelNames: ['store'] as const,
  registers,
});

/** result: ok | timeout | error. */
export const profileFetches = new Counter({
  name: 'microclimate_profile_fetches_total',
  help: 'Profile reads (DID document and app.bsky.actor.profile record) by result (ok, timeout, error)',
  labelNames: ['result'] as const,
  registers,
});

/** Who is in which channel now, read when Prometheus scrapes (occupancy.ts is the source). */
export interface OccupancyReader {
  readonly channelIds: readonly string[];
  count(channelId: string): number;
}

let occupancySource: OccupancyReader | undefined;

export const channelParticipants = new Gauge({
  name: 'microclimate_channel_participants',
  help: 'People in each voice channel, as this replica sees the shared occupancy',
  labelNames: ['channel'] as const,
  registers,
  collect() {
    this.reset();
    if (!occupancySource) return;
    for (const channel of occupancySource.channelIds) this.set({ channel }, occupancySource.count(channel));
  },
});

/** Makes `source` the occupancy the gauge reports (the running server's); returns the undo. */
export function reportOccupancy(source: OccupancyReader): () => void {
  occupancySource = source;
  return () => {
    if (occupancySource === source) occupancySource = undefined;
  };
}
