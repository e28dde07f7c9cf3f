// Ports, paths and config templating for the local stack. Every port has a fixed default
// and can be overridden with MICROCLIMATE_PORT_<NAME> (e.g. MICROCLIMATE_PORT_ENVOY=18080)
// or with startStack({ ports }).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STACK_DIR = path.join(ROOT, '.stack');
export const LOGS_DIR = path.join(STACK_DIR, 'logs');
export const STACK_FILE = path.join(STACK_DIR, 'stack.json');
export const HOST = '127.0.0.1';

export const DEFAULT_PORTS = {
  PLC: 2582,
  PDS: 2583,
  API: 9051,
  ENVOY: 8080,
  ENVOY_ADMIN: 9901,
  LIVEKIT: 7880,
  LIVEKIT_RTC_TCP: 7881,
  LIVEKIT_RTC_UDP: 7882,
  APP: 4173,
  WEBHOOK: 9052,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;
export type Ports = Record<PortName, number>;

/**
 * Ports only the replicated stack (`--replicas 2`) uses: the second API replica, the second
 * LiveKit node, Redis, and Envoy's zone front doors (scale-config.ts). `npm start` without
 * replicas neither checks nor takes them.
 */
export const DEFAULT_SCALE_PORTS = {
  API_2: 9061,
  WEBHOOK_2: 9062,
  LIVEKIT_2: 7890,
  LIVEKIT_2_RTC_TCP: 7891,
  LIVEKIT_2_RTC_UDP: 7892,
  REDIS: 6380,
  ENVOY_ZONE_1: 8081,
  ENVOY_ZONE_2: 8082,
  LIVEKIT_ZONE_1: 7885,
  LIVEKIT_ZONE_2: 7886,
} as const;

export type ScalePortName = keyof typeof DEFAULT_SCALE_PORTS;
export type ScalePorts = Record<ScalePortName, number>;

/** Which component owns a port, for error messages. */
export const PORT_OWNER: Record<PortName, string> = {
  PLC: 'PLC (dev-env)',
  PDS: 'PDS (dev-env)',
  API: 'API server (gRPC)',
  ENVOY: 'Envoy (gRPC-Web listener)',
  ENVOY_ADMIN: 'Envoy (admin)',
  LIVEKIT: 'LiveKit (HTTP/WebSocket)',
  LIVEKIT_RTC_TCP: 'LiveKit (RTC TCP)',
  LIVEKIT_RTC_UDP: 'LiveKit (RTC UDP)',
  APP: 'app (static server)',
  WEBHOOK: 'API server (LiveKit webhooks)',
};

export const SCALE_PORT_OWNER: Record<ScalePortName, string> = {
  API_2: 'API server 2 (gRPC)',
  WEBHOOK_2: 'API server 2 (LiveKit webhooks)',
  LIVEKIT_2: 'LiveKit node 2 (HTTP/WebSocket)',
  LIVEKIT_2_RTC_TCP: 'LiveKit node 2 (RTC TCP)',
  LIVEKIT_2_RTC_UDP: 'LiveKit node 2 (RTC UDP)',
  REDIS: 'Redis',
  ENVOY_ZONE_1: 'Envoy (zone 1 gRPC-Web front door)',
  ENVOY_ZONE_2: 'Envoy (zone 2 gRPC-Web front door)',
  LIVEKIT_ZONE_1: 'Envoy (zone 1 LiveKit front door)',
  LIVEKIT_ZONE_2: 'Envoy (zone 2 LiveKit front door)',
};

/** Owner of any port, base or scale, for error messages. */
export function portOwner(name: string): string {
  return (PORT_OWNER as Record<string, string>)[name] ?? (SCALE_PORT_OWNER as Record<string, string>)[name] ?? name;
}

export function resolvePorts(overrides: Partial<Ports> = {}): Ports {
  return resolveSome(DEFAULT_PORTS, overrides) as Ports;
}

/** The base ports plus the replicated stack's, all distinct. */
export function resolveScalePorts(overrides: Partial<Ports & ScalePorts> = {}): Ports & ScalePorts {
  return resolveSome({ ...DEFAULT_PORTS, ...DEFAULT_SCALE_PORTS }, overrides) as Ports & ScalePorts;
}

function resolveSome(defaults: Record<string, number>, overrides: Record<string, number | undefined>): Record<string, number> {
  const ports: Record<string, number> = { ...defaults };
  for (const name of Object.keys(defaults)) {
    const raw = process.env[`MICROCLIMATE_PORT_${name}`];
    if (raw !== undefined && raw !== '') {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        throw new Error(`MICROCLIMATE_PORT_${name}=${raw} is not a valid port number`);
      }
      ports[name] = n;
    }
    if (overrides[name] !== undefined) ports[name] = overrides[name]!;
  }
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other) throw new Error(`Port ${port} is configured for both ${portOwner(other)} and ${portOwner(name)}`);
    seen.set(port, name);
  }
  return ports;
}

export function log(message: string): void {
  process.stderr.write(`[stack] ${message}\n`);
}

export function since(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** Replaces `key: <default>` by `key: <port>` in a config file, checking each key occurs once. */
export function substitute(text: string, file: string, pairs: [key: string, from: number, to: number][]): string {
  for (const [key, from, to] of pairs) {
    const re = new RegExp(`(\\b${key}:\\s*)${from}\\b`, 'g');
    const count = text.match(re)?.length ?? 0;
    if (count !== 1) throw new Error(`${file}: expected one "${key}: ${from}", found ${count}`);
    text = text.replace(re, `$1${to}`);
  }
  return text;
}

/** deploy/envoy.yaml, or a copy in .stack/ with the configured ports. */
export function envoyConfig(ports: Ports): string {
  const src = path.join(ROOT, 'deploy/envoy.yaml');
  const d = DEFAULT_PORTS;
  if (ports.ENVOY === d.ENVOY && ports.ENVOY_ADMIN === d.ENVOY_ADMIN && ports.API === d.API) return src;
  const text = substitute(fs.readFileSync(src, 'utf8'), src, [
    ['port_value', d.ENVOY_ADMIN, ports.ENVOY_ADMIN],
    ['port_value', d.ENVOY, ports.ENVOY],
    ['port_value', d.API, ports.API],
  ]);
  const out = path.join(STACK_DIR, 'envoy.yaml');
  fs.writeFileSync(out, text);
  return out;
}

/** deploy/livekit.yaml, or a copy in .stack/ with the configured ports. */
export function livekitConfig(ports: Ports): string {
  const src = path.join(ROOT, 'deploy/livekit.yaml');
  const d = DEFAULT_PORTS;
  const same = (['LIVEKIT', 'LIVEKIT_RTC_TCP', 'LIVEKIT_RTC_UDP', 'WEBHOOK'] as const).every((name) => ports[name] === d[name]);
  if (same) return src;
  let text = substitute(fs.readFileSync(src, 'utf8'), src, [
    ['port', d.LIVEKIT, ports.LIVEKIT],
    ['tcp_port', d.LIVEKIT_RTC_TCP, ports.LIVEKIT_RTC_TCP],
    ['udp_port', d.LIVEKIT_RTC_UDP, ports.LIVEKIT_RTC_UDP],
  ]);
  // The webhook URL is a value, not a "key: port" line: replace it whole, exactly once.
  const hook = (port: number) => `http://${HOST}:${port}/livekit/webhook`;
  const count = text.split(hook(d.WEBHOOK)).length - 1;
  if (count !== 1) throw new Error(`${src}: expected one webhook URL "${hook(d.WEBHOOK)}", found ${count}`);
  text = text.replace(hook(d.WEBHOOK), hook(ports.WEBHOOK));
  const out = path.join(STACK_DIR, 'livekit.yaml');
  fs.writeFileSync(out, text);
  return out;
}

/** The dev API key and secret from deploy/livekit.yaml (`keys:` with one `key: secret`). */
export function livekitKeys(): { apiKey: string; apiSecret: string } {
  const src = path.join(ROOT, 'deploy/livekit.yaml');
  const m = fs.readFileSync(src, 'utf8').match(/^keys:\s*\n\s+([\w.-]+):\s*(\S+)/m);
  if (!m?.[1] || !m[2]) throw new Error(`${src}: no "keys:" entry found`);
  return { apiKey: m[1], apiSecret: m[2] };
}
