// The production rehearsal's names and ports. Every public endpoint is https/wss on port 443
// of its own name under DOMAIN, all behind one front door (Caddy) that routes by name. `.lan`
// because the PDS refuses a client_id on .test/.local/.localhost/.example/.invalid and handles
// refuse .internal/.local/.arpa (FACTS "Production shape"). No DNS knows these names: the
// browsers map them with their own switches, Node processes with name-map.mjs.
import { resolvePorts, type Ports } from '../config.js';

export const DOMAIN = 'microclimate.lan';
/** Every name maps to this one address (Firefox's prefs can map names to one address only). */
export const ADDRESS = '127.0.0.1';

export const HOSTS = {
  app: `app.${DOMAIN}`,
  api: `api.${DOMAIN}`,
  pds: `pds.${DOMAIN}`,
  plc: `plc.${DOMAIN}`,
  livekit: `livekit.${DOMAIN}`,
  turn: `turn.${DOMAIN}`,
} as const;

/** Demo handles live on the PDS's handle domain: https://<handle>/.well-known/atproto-did. */
export const HANDLE_DOMAIN = `.${DOMAIN}`;

/**
 * The front door's port (443; tests may move it with MICROCLIMATE_PORT_FRONT, and the browsers
 * and name-map.mjs then map 443 to it) and LiveKit's TURN/UDP port, plus the inner ports of
 * the stack (config.ts, same names and overrides as `npm start`).
 */
export interface ProductionPorts extends Ports {
  FRONT: number;
  TURN_UDP: number;
  /** The API server's Prometheus listener (MICROCLIMATE_METRICS_PORT). */
  METRICS: number;
  /**
   * LiveKit's prometheus_port: MICROCLIMATE_PORT_LIVEKIT_METRICS, else MICROCLIMATE_PORT_METRICS_2
   * (the second replica's metrics port, free here: the rehearsal runs one API server).
   */
  LIVEKIT_METRICS: number;
  /** Prometheus's HTTP API and UI (with --metrics). */
  PROMETHEUS: number;
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[`MICROCLIMATE_PORT_${name}`];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`MICROCLIMATE_PORT_${name}=${raw} is not a valid port number`);
  return n;
}

export function resolveProductionPorts(): ProductionPorts {
  const ports = {
    ...resolvePorts(),
    FRONT: envPort('FRONT', 443),
    TURN_UDP: envPort('TURN_UDP', 3478),
    METRICS: envPort('METRICS', 9054),
    LIVEKIT_METRICS: envPort('LIVEKIT_METRICS', envPort('METRICS_2', 9064)),
    PROMETHEUS: envPort('PROMETHEUS', 9090),
  };
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    if (name === 'APP') continue; // the app is served by the front door here
    const other = seen.get(port);
    if (other) throw new Error(`Port ${port} is configured for both ${other} and ${name}`);
    seen.set(port, name);
  }
  return ports;
}

/** MICROCLIMATE_NAME_MAP for name-map.mjs: every name under DOMAIN to ADDRESS, 443 to the front door. */
export function nameMap(ports: ProductionPorts): string {
  return JSON.stringify({ suffix: `.${DOMAIN}`, address: ADDRESS, ports: { 443: ports.FRONT } });
}

/** https://<name> with no port: the front door's port is the browsers' and name-map's business. */
export const httpsUrl = (host: string) => `https://${host}`;
