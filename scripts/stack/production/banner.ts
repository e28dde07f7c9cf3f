// What `npm start -- --production` prints when the rehearsal is up: where everything is, and
// the exact command line that opens the app in a desktop Chromium on this machine.
import path from 'node:path';
import type { ProductionStackInfo } from './index.js';
import { ADDRESS, DOMAIN } from './names.js';

/** Chromium's switches for the rehearsal (the banner's command line and the tests). */
export function chromiumSwitches(info: Pick<ProductionStackInfo, 'frontPort' | 'spki'>): string[] {
  const target = info.frontPort === 443 ? ADDRESS : `${ADDRESS}:${info.frontPort}`;
  return [`--host-resolver-rules=MAP *.${DOMAIN}:443 ${target}`, `--ignore-certificate-errors-spki-list=${info.spki}`];
}

export function productionBanner(info: ProductionStackInfo, seconds: number): string {
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  const quote = (s: string) => `'${s}'`;
  const accounts = info.accounts.map((a) => `    ${a.handle.padEnd(24)} password ${a.password.padEnd(16)} ${a.did}`);
  return [
    '',
    `Microclimate production rehearsal ready in ${seconds.toFixed(1)} s`,
    '',
    `  Open the app:     ${info.app}   (a discoverable OAuth client: ${info.app}/client-metadata.json)`,
    `  Server URL:       ${info.server}   (did:web:${new URL(info.server).hostname})`,
    `  PDS / PLC:        ${info.pds}   ${info.plc}`,
    `  LiveKit:          ${info.livekit.url}   TURN/UDP ${ADDRESS}:${info.turnUdpPort}`,
    `  Names:            *.${DOMAIN} -> ${ADDRESS}:${info.frontPort} (one front door, Caddy; no DNS: map them in the browser)`,
    `  Local CA:         ${rel(info.caFile)}`,
    `  Metrics:          ${info.metrics.api}` + (info.metrics.prometheus ? `   Prometheus ${info.metrics.prometheus} (alerts: ${info.metrics.prometheus}/alerts)` : '   (add --metrics for Prometheus)'),
    '',
    '  Open it in Chromium on this machine:',
    `    chromium ${chromiumSwitches(info).map(quote).join(' ')} --user-data-dir="$(mktemp -d)" ${info.app}`,
    '  (Firefox: network.dns.forceResolve=127.0.0.1 in about:config' +
      (info.frontPort === 443 ? '' : `, network.socket.forcePort="443=${info.frontPort}"`) +
      `, and import ${rel(info.caFile)} under Settings > Certificates.)`,
    '',
    '  Demo accounts (sign in with the handle):',
    ...accounts,
    '',
    `  Endpoints and accounts: ${rel(info.stackFile)}   logs: ${rel(info.logsDir)}/`,
    '  Rehearsal only: the PDS runs without its SSRF guard and the API server with',
    '  MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES=1; never in a deployment.',
    '  Press Ctrl-C to stop everything.',
    '',
  ].join('\n');
}
