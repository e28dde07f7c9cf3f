// Envoy for the replicated stack, generated from deploy/envoy.yaml (the single-replica
// config stays the one file people read and deploy; this adds only what several replicas
// need, so the two cannot drift apart):
//
// - `api` (the main listener, the server URL): every API replica, round robin, with active
//   gRPC health checks (grpc.health.v1) and outlier detection. A replica that is stopped
//   with SIGTERM reports NOT_SERVING first and finishes what it holds, so one health check
//   later Envoy sends it nothing new and a rolling restart drops no unary call.
// - Retries per RPC (proto/): only where repeating the call is harmless.
// - Zone front doors, as two sites would have: listener zone k prefers API replica k and
//   LiveKit node k, and fails over to the other (priority 1) when its own is unhealthy.
//   The scale e2e tests send each person through one zone; this is how they know which
//   replica and node served whom, with nothing in the server that a test could steer.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS, HOST, ROOT, STACK_DIR, substitute, type Ports, type ScalePorts } from './config.js';

/**
 * Which calls Envoy may send twice. Any call may be retried when it never reached a
 * replica (connect failure, a stream refused before it was read: `SAFE_RETRY_ON`). Past
 * that, only calls that change nothing, or whose repeat leaves the same state:
 * - GetServerInfo, ListChannels: reads.
 * - WatchChannels: a stream that starts with a snapshot; Envoy retries only before the
 *   first response headers, so a person never sees an event twice.
 * - GetChannelToken: mints a fresh join token; its one side effect (leaving one's other
 *   channel) leaves the same state when repeated.
 * Never CreateSession: it redeems a one-time service token (the replay cache would refuse
 * the repeat) and counts against the sign-in rate limit; the app retries it itself.
 */
export const IDEMPOTENT_RPCS = [
  '/microclimate.auth.v1.AuthService/GetServerInfo',
  '/microclimate.channels.v1.ChannelsService/ListChannels',
  '/microclimate.channels.v1.ChannelsService/WatchChannels',
  '/microclimate.channels.v1.ChannelsService/GetChannelToken',
];
const SAFE_RETRY_ON = 'connect-failure,refused-stream,reset-before-request';
const IDEMPOTENT_RETRY_ON = `${SAFE_RETRY_ON},reset,unavailable`;

function between(text: string, start: string, end: string | undefined, file: string): string {
  const from = text.indexOf(start);
  const to = end === undefined ? text.length : text.indexOf(end, from);
  if (from < 0 || to < 0 || text.indexOf(start, from + 1) >= 0) throw new Error(`${file}: expected one "${start.trim()}" block`);
  return text.slice(from, to);
}

function retryPolicy(retryOn: string, indent: string): string {
  return [
    `retry_policy:`,
    `  retry_on: ${retryOn}`,
    `  num_retries: 2`,
    `  retry_back_off: { base_interval: 0.05s, max_interval: 0.5s }`,
    // Try another replica than the one that just failed.
    `  retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate } }]`,
    `  host_selection_retry_max_attempts: 3`,
  ].map((l) => indent + l).join('\n');
}

/** The routes of the main listener: one per idempotent RPC, then the rest with safe retries only. */
function routesWithRetries(listener: string, cluster: string, file: string): string {
  const catchAll = '                        - match: { prefix: "/" }\n                          route:\n';
  if (listener.split(catchAll).length !== 2) throw new Error(`${file}: expected one catch-all route`);
  const r = '                          ';
  const perRpc = IDEMPOTENT_RPCS.map((rpc) =>
    [`                        - match: { path: "${rpc}" }`, `${r}route:`, `${r}  cluster: ${cluster}`, `${r}  timeout: 0s`,
      `${r}  max_stream_duration: { grpc_timeout_header_max: 0s }`, retryPolicy(IDEMPOTENT_RETRY_ON, `${r}  `)].join('\n'),
  ).join('\n');
  return listener.replace(catchAll, `${perRpc}\n${catchAll}${retryPolicy(SAFE_RETRY_ON, `${r}  `)}\n`);
}

const endpoint = (port: number) => `              - endpoint: { address: { socket_address: { address: ${HOST}, port_value: ${port} } } }`;

/** `endpoints:` of a cluster: all in one priority, or the `first` port at 0 and the others at 1. */
function endpoints(name: string, ports: number[], first?: number): string {
  const group = (priority: number, list: number[]) => `          - priority: ${priority}\n            lb_endpoints:\n${list.map(endpoint).join('\n')}`;
  const groups = first === undefined ? [group(0, ports)] : [group(0, [first]), group(1, ports.filter((p) => p !== first))];
  return `      load_assignment:\n        cluster_name: ${name}\n        endpoints:\n${groups.join('\n')}\n`;
}

/** The health-check and ejection settings every replicated cluster shares. */
function healthChecks(kind: 'grpc' | 'http'): string {
  return [
    '      health_checks:',
    '        - timeout: 1s',
    '          interval: 1s',
    '          no_traffic_interval: 1s',
    '          unhealthy_threshold: 1',
    '          healthy_threshold: 1',
    kind === 'grpc' ? '          grpc_health_check: {}' : '          http_health_check: { path: "/" }',
    '      outlier_detection:',
    '        consecutive_gateway_failure: 2',
    '        consecutive_5xx: 5',
    '        interval: 1s',
    '        base_ejection_time: 5s',
    '        max_ejection_percent: 50',
  ].join('\n');
}

function tcpListener(name: string, port: number): string {
  return `    - name: ${name}
      address:
        socket_address: { address: ${HOST}, port_value: ${port} }
      filter_chains:
        - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: ${name}
                cluster: ${name}
                max_connect_attempts: 3
`;
}

/** .stack/envoy-replicas.yaml for API replicas on `ports.API`, `ports.API_2` and LiveKit nodes 1, 2. */
export function envoyReplicasConfig(ports: Ports & ScalePorts): string {
  const file = path.join(ROOT, 'deploy/envoy.yaml');
  const d = DEFAULT_PORTS;
  let text = substitute(fs.readFileSync(file, 'utf8'), file, [
    ['port_value', d.ENVOY_ADMIN, ports.ENVOY_ADMIN],
    ['port_value', d.ENVOY, ports.ENVOY],
  ]);
  const listener = between(text, '\n    - name: grpc_web\n', '\n  clusters:\n', file).slice(1) + '\n';
  const cluster = between(text, '\n    - name: api\n', undefined, file).slice(1);
  const clusterHead = cluster.slice(0, cluster.indexOf('      load_assignment:'));
  const replicas = [ports.API, ports.API_2];
  const nodes = [ports.LIVEKIT, ports.LIVEKIT_2];

  const zoneListener = (k: 1 | 2) =>
    listener
      .replace('    - name: grpc_web\n', `    - name: grpc_web_zone_${k}\n`)
      .replace(`port_value: ${ports.ENVOY} }`, `port_value: ${ports[`ENVOY_ZONE_${k}`]} }`)
      .replace('stat_prefix: grpc_web\n', `stat_prefix: grpc_web_zone_${k}\n`)
      .replaceAll('cluster: api\n', `cluster: api_zone_${k}\n`);
  const apiCluster = (name: string, first?: number) =>
    clusterHead.replace('    - name: api\n', `    - name: ${name}\n`) + `${healthChecks('grpc')}\n` + endpoints(name, replicas, first);
  const livekitCluster = (k: 1 | 2) =>
    `    - name: livekit_zone_${k}\n      type: STATIC\n      connect_timeout: 1s\n${healthChecks('http')}\n` + endpoints(`livekit_zone_${k}`, nodes, nodes[k - 1]);

  text = text.replace(listener, [
    routesWithRetries(listener, 'api', file),
    routesWithRetries(zoneListener(1), 'api_zone_1', file),
    routesWithRetries(zoneListener(2), 'api_zone_2', file),
    tcpListener('livekit_zone_1', ports.LIVEKIT_ZONE_1),
    tcpListener('livekit_zone_2', ports.LIVEKIT_ZONE_2),
  ].join(''));
  text = text.replace(cluster, [
    apiCluster('api'),
    apiCluster('api_zone_1', ports.API),
    apiCluster('api_zone_2', ports.API_2),
    livekitCluster(1),
    livekitCluster(2),
  ].join(''));
  const out = path.join(STACK_DIR, 'envoy-replicas.yaml');
  fs.writeFileSync(out, text);
  return out;
}
