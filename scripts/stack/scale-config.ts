// Configs of the replicated stack (`npm start -- --replicas 2`), written into .stack/ from
// the single-node files in deploy/, so the two never drift apart:
// - one LiveKit config per node: its own ports, the shared `redis:`, a region (zone-1,
//   zone-2) so a room is created on the node nearest the first person's signal, and its
//   webhooks going to the API replica of its zone;
// - Envoy (envoy-replicas.ts) over every API replica and both LiveKit nodes.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS, HOST, ROOT, STACK_DIR, substitute } from './config.js';

export interface RedisEndpoint {
  port: number;
  password: string;
}

/** The URL API replicas get as MICROCLIMATE_REDIS_URL (the password stays out of logs). */
export function redisUrl(redis: RedisEndpoint): string {
  return `redis://:${encodeURIComponent(redis.password)}@${HOST}:${redis.port}`;
}

export interface LiveKitNode {
  zone: 1 | 2;
  port: number; // HTTP/WebSocket
  rtcTcp: number;
  rtcUdp: number;
  webhookPort: number; // the API replica of the same zone
}

// Far apart on purpose: the region-aware selector then always prefers the node of its own zone.
const REGIONS = [
  { name: 'zone-1', lat: 0, lon: 0 },
  { name: 'zone-2', lat: 0, lon: 90 },
];

/** .stack/livekit-<zone>.yaml: deploy/livekit.yaml with this node's ports plus the cluster settings. */
export function livekitNodeConfig(node: LiveKitNode, redis: RedisEndpoint): string {
  const src = path.join(ROOT, 'deploy/livekit.yaml');
  const d = DEFAULT_PORTS;
  let text = substitute(fs.readFileSync(src, 'utf8'), src, [
    ['port', d.LIVEKIT, node.port],
    ['tcp_port', d.LIVEKIT_RTC_TCP, node.rtcTcp],
    ['udp_port', d.LIVEKIT_RTC_UDP, node.rtcUdp],
  ]);
  const hook = (port: number) => `http://${HOST}:${port}/livekit/webhook`;
  if (text.split(hook(d.WEBHOOK)).length !== 2) throw new Error(`${src}: expected one webhook URL "${hook(d.WEBHOOK)}"`);
  text = text.replace(hook(d.WEBHOOK), hook(node.webhookPort));
  const regions = REGIONS.map((r) => `    - { name: ${r.name}, lat: ${r.lat}, lon: ${r.lon} }`).join('\n');
  text += [
    '',
    '# Multi-node (written by scripts/stack/scale-config.ts): every node shares this Redis.',
    'redis:',
    `  address: ${HOST}:${redis.port}`,
    `  password: ${JSON.stringify(redis.password)}`,
    `region: zone-${node.zone}`,
    'node_selector:',
    '  kind: regionaware',
    // Both nodes share one loaded 2-core machine: no load limit may hide a node.
    '  sysload_limit: 1000',
    '  cpu_load_limit: 1000',
    '  regions:',
    regions,
    '',
  ].join('\n');
  const out = path.join(STACK_DIR, `livekit-zone-${node.zone}.yaml`);
  fs.writeFileSync(out, text, { mode: 0o600 });
  return out;
}
