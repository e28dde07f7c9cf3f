// The replicated stack's own parts (`npm start -- --replicas 2`): Redis, two LiveKit nodes
// sharing it, and two API replicas sharing it. Zone k pairs API replica k with LiveKit node k:
// the replica hands out Envoy's zone-k LiveKit front door (node k first, the other node when
// k is down) and node k posts its webhooks to replica k. Envoy (envoy-replicas.ts) starts
// after these, in index.ts, like the single stack's.
import { HOST, type Ports, type ScalePorts } from './config.js';
import { startApiServer, startLiveKit, type ApiServerEnv, type Track } from './components.js';
import { newRedisEndpoint, startRedis, wipeRedisData } from './redis.js';
import { Restartable } from './restartable.js';
import { livekitNodeConfig, redisUrl } from './scale-config.js';

const url = (port: number) => `http://${HOST}:${port}`;

/** What stack.json says about the replicated parts (zone k = API replica k + LiveKit node k). */
export interface ReplicasInfo {
  count: number;
  redis: string; // 127.0.0.1:6380 (the password is in .stack/redis/redis.conf only)
  zones: {
    api: string; // the replica, gRPC h2c
    webhook: string; // where LiveKit node k posts
    server: string; // Envoy's zone front door (gRPC-Web), this replica first
    livekit: { url: string; httpUrl: string }; // node k itself
    livekitFrontDoor: string; // Envoy's zone LiveKit door, the URL replica k hands out
  }[];
}

export interface ScaleParts {
  redis: Restartable;
  api: [Restartable, Restartable];
  livekit: [Restartable, Restartable];
  info: ReplicasInfo;
  start(): Promise<void>;
}

export interface ScaleOptions {
  ports: Ports & ScalePorts;
  track: Track;
  timeoutMs: number;
  bins: { livekit: string; redis: string };
  apiEntry: string;
  apiEnv: Omit<ApiServerEnv, 'replica'>;
}

export function scaleParts({ ports, track, timeoutMs, bins, apiEntry, apiEnv }: ScaleOptions): ScaleParts {
  const redis = newRedisEndpoint(ports.REDIS);
  const zones = [
    { k: 1 as const, api: ports.API, webhook: ports.WEBHOOK, lk: ports.LIVEKIT, tcp: ports.LIVEKIT_RTC_TCP, udp: ports.LIVEKIT_RTC_UDP, door: ports.ENVOY_ZONE_1, lkDoor: ports.LIVEKIT_ZONE_1 },
    { k: 2 as const, api: ports.API_2, webhook: ports.WEBHOOK_2, lk: ports.LIVEKIT_2, tcp: ports.LIVEKIT_2_RTC_TCP, udp: ports.LIVEKIT_2_RTC_UDP, door: ports.ENVOY_ZONE_2, lkDoor: ports.LIVEKIT_ZONE_2 },
  ];
  const redisPart = new Restartable('Redis', track, (t) => startRedis(bins.redis, redis, t, timeoutMs));
  const [lk1, lk2] = zones.map(
    (z) =>
      new Restartable(`LiveKit node ${z.k}`, track, (t) => {
        const config = livekitNodeConfig({ zone: z.k, port: z.lk, rtcTcp: z.tcp, rtcUdp: z.udp, webhookPort: z.webhook }, redis);
        return startLiveKit(bins.livekit, ports, t, timeoutMs, { name: `LiveKit node ${z.k}`, config, port: z.lk });
      }),
  ) as [Restartable, Restartable];
  const [api1, api2] = zones.map(
    (z) =>
      new Restartable(`API server ${z.k}`, track, (t) =>
        startApiServer(apiEntry, ports, {
          ...apiEnv,
          // People of zone k get Envoy's zone-k LiveKit door; the server's room API calls go there too.
          livekit: { ...apiEnv.livekit, url: url(z.lkDoor) },
          replica: {
            name: `API server ${z.k}`,
            grpcPort: z.api,
            webhookPort: z.webhook,
            env: {
              MICROCLIMATE_REDIS_URL: redisUrl(redis),
              // On SIGTERM: NOT_SERVING this long before closing, above Envoy's health-check
              // interval (1 s) x unhealthy threshold (1), so Envoy stops sending new calls first.
              MICROCLIMATE_DRAIN_MS: '2000',
            },
          },
        }, t, timeoutMs),
      ),
  ) as [Restartable, Restartable];

  return {
    redis: redisPart,
    api: [api1, api2],
    livekit: [lk1, lk2],
    info: {
      count: 2,
      redis: `${HOST}:${ports.REDIS}`,
      zones: zones.map((z) => ({
        api: url(z.api),
        webhook: `${url(z.webhook)}/livekit/webhook`,
        server: `http://localhost:${z.door}`,
        livekit: { url: `ws://${HOST}:${z.lk}`, httpUrl: url(z.lk) },
        livekitFrontDoor: `ws://${HOST}:${z.lkDoor}`,
      })),
    },
    async start() {
      wipeRedisData(); // a new stack starts from an empty Redis; its restarts keep the data
      await redisPart.start();
      // Both replicas share the data dir, hence the session signing key: replica 1 creates it.
      await Promise.all([lk1.start(), lk2.start(), api1.start().then(() => api2.start())]);
    },
  };
}
