// `npm start -- --production`: the production shape rehearsed on this machine (README
// "Deploying"). The same code as the local stack, with: every public endpoint https/wss on
// port 443 of its own name under microclimate.lan, behind one front door (Caddy, from
// deploy/Caddyfile) with certificates from a local CA made at start; the app built as a
// discoverable OAuth client and served with the deploy headers; a PDS not in dev mode; the
// API server without dev mode at did:web:api.microclimate.lan, from a production build (plain
// node, no TypeScript compiler at run time); Envoy on TLS with the app's
// origin only; LiveKit over wss with its embedded TURN.
//
// Two allowances, both for this rehearsal only, each a switch of its own (never dev mode):
// the PDS's SSRF guard is off, and the API server's identity fetches may reach private
// addresses (MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES). Everything maps to 127.0.0.1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { BUILD_DIR, buildApp } from '../app.js';
import type { DemoAccount } from '../atproto.js';
import { launch, stopList } from '../components.js';
import { LOGS_DIR, ROOT, STACK_DIR, STACK_FILE, livekitKeys, log, since } from '../config.js';
import { controlActions, serveControl } from '../control.js';
import { apiAnswers, checkCors, envoyForwards } from '../health.js';
import { checkPortsFree, httpGet } from '../processes.js';
import { Restartable } from '../restartable.js';
import { localCertificate } from '../tls.js';
import { ensureCaddy, ensureEnvoy, ensureLiveKit } from '../tools.js';
import { startProductionAtproto } from './atproto.js';
import { buildServer } from './server-build.js';
import { startPrometheus } from './metrics.js';
import { deployServerEnv, productionEnvoyConfig, productionLiveKitConfig, rehearsalCaddyfile, rehearsalSessionKeys, type Tls } from './configs.js';
import { ADDRESS, DOMAIN, HOSTS, httpsUrl, nameMap, resolveProductionPorts, type ProductionPorts } from './names.js';
// @ts-expect-error: a plain ES module (it is also a --import preload), no types
import { install as installNameMap } from './name-map.mjs';

export const PRODUCTION_DIR = path.join(STACK_DIR, 'production');
/** Where the production build is served from (moved out of build/, which the dev stack serves). */
export const SITE_DIR = path.join(PRODUCTION_DIR, 'site');
const NAME_MAP_PRELOAD = path.join(ROOT, 'scripts/stack/production/name-map.mjs');

export interface ProductionStackInfo {
  production: true;
  app: string; // https://app.microclimate.lan
  server: string; // https://api.microclimate.lan: the server URL people type
  pds: string;
  plc: string;
  livekit: { url: string; httpUrl: string; apiKey: string; apiSecret: string };
  /** Each public name and the address it maps to (all through the front door). */
  names: Record<string, string>;
  /** The front door's port (443 unless MICROCLIMATE_PORT_FRONT moved it). */
  frontPort: number;
  turnUdpPort: number;
  caFile: string;
  /**
   * With --metrics: Prometheus's URL (HTTP API /api/v1/...) and what it scrapes; the API
   * server's /metrics and LiveKit's are on loopback ports either way.
   */
  metrics: { prometheus: string | undefined; api: string; envoy: string; livekit: string };
  /** The API server's session key set (MICROCLIMATE_SESSION_KEYS_FILE): rotated as deploy/README.md says. */
  sessionKeysFile: string;
  /** base64 SHA-256 of the server certificate's public key: Chromium's --ignore-certificate-errors-spki-list. */
  spki: string;
  accounts: DemoAccount[];
  ports: ProductionPorts;
  logsDir: string;
  stackFile: string;
  startedAt: string;
  pid: number;
}

/** The environment of the rehearsal's Node children: names mapped, the local CA trusted. */
export function rehearsalNodeEnv(ports: ProductionPorts, caFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${NAME_MAP_PRELOAD}`, MICROCLIMATE_NAME_MAP: nameMap(ports), NODE_EXTRA_CA_CERTS: caFile };
}

function spkiOf(certPem: string): string {
  const der = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

/** Binding a port below 1024 needs root or a lowered net.ipv4.ip_unprivileged_port_start. */
function checkPrivilegedPort(port: number): void {
  if (process.getuid?.() === 0) return;
  let start = 1024;
  try {
    start = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch { /* not Linux: try anyway */ }
  if (port < start) {
    throw new Error(`The front door needs port ${port}, which only root may bind here. Run once: \`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${port}\` (or set MICROCLIMATE_PORT_FRONT=8443 and map 443 to it in the browser)`);
  }
}

/** metrics: also start Prometheus scraping every part, with deploy/alerts.yml (metrics.ts). */
export async function startProductionStack(options: { timeoutMs?: number; metrics?: boolean } = {}): Promise<{ info: ProductionStackInfo; stop(): Promise<void> }> {
  const t0 = performance.now();
  const timeout = options.timeoutMs ?? 60_000;
  const ports = resolveProductionPorts();
  checkPrivilegedPort(ports.FRONT);
  const { APP: _unused, PROMETHEUS, ...others } = ports;
  const used = options.metrics ? { ...others, PROMETHEUS } : others;
  await checkPortsFree(used);
  fs.mkdirSync(LOGS_DIR, { recursive: true });
  fs.mkdirSync(PRODUCTION_DIR, { recursive: true, mode: 0o700 });
  const [envoyBin, livekitBin, caddyBin] = await Promise.all([ensureEnvoy(), ensureLiveKit(), ensureCaddy()]);

  // The local CA and one certificate for every name (the wildcard covers the handles).
  const certificate = localCertificate(path.join(PRODUCTION_DIR, 'tls'), [`*.${DOMAIN}`, ...Object.values(HOSTS)]);
  const tlsFiles: Tls = { caFile: certificate.caFile, certFile: path.join(PRODUCTION_DIR, 'tls/server.pem'), keyFile: path.join(PRODUCTION_DIR, 'tls/server-key.pem') };
  // This process hosts the PDS (which fetches the app's client metadata) and runs the checks:
  // it maps the names and trusts the CA like the other Node processes.
  process.env.MICROCLIMATE_NAME_MAP = nameMap(ports);
  installNameMap(JSON.parse(process.env.MICROCLIMATE_NAME_MAP));
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), certificate.ca]);

  const app = httpsUrl(HOSTS.app);
  const server = httpsUrl(HOSTS.api);
  await buildApp({
    PUBLIC_APP_URL: app,
    PUBLIC_DEFAULT_SERVER_URL: server,
    PUBLIC_PLC_URL: httpsUrl(HOSTS.plc),
    PUBLIC_HANDLE_RESOLVER_URL: httpsUrl(HOSTS.pds),
    PUBLIC_AVATAR_ORIGIN: httpsUrl(HOSTS.pds),
  });
  fs.rmSync(SITE_DIR, { recursive: true, force: true });
  fs.renameSync(BUILD_DIR, SITE_DIR);
  const serverEntry = await buildServer(path.join(PRODUCTION_DIR, 'server-build'));

  const { track, stop } = stopList();
  const lk = livekitKeys();
  const livekit = { url: `wss://${HOSTS.livekit}`, httpUrl: httpsUrl(HOSTS.livekit), ...lk };
  const nodeEnv = rehearsalNodeEnv(ports, certificate.caFile);
  const sessionKeysFile = rehearsalSessionKeys(PRODUCTION_DIR);

  const livekitPart = new Restartable('LiveKit', track, (t) =>
    launch(
      { name: 'LiveKit', command: livekitBin, args: ['--config', productionLiveKitConfig(ports, PRODUCTION_DIR)], cwd: ROOT },
      `GET http://${ADDRESS}:${ports.LIVEKIT}`,
      async () => (await httpGet(`http://${ADDRESS}:${ports.LIVEKIT}`)).status === 200,
      t,
      timeout,
    ),
  );
  const apiPart = new Restartable('API server', track, (t) =>
    launch(
      {
        name: 'API server',
        command: process.execPath,
        args: ['--enable-source-maps', serverEntry],
        cwd: ROOT,
        env: {
          ...nodeEnv,
          ...deployServerEnv({
            MICROCLIMATE_NAME: 'Microclimate Rehearsal',
            MICROCLIMATE_GRPC_PORT: String(ports.API),
            MICROCLIMATE_WEBHOOK_PORT: String(ports.WEBHOOK),
            MICROCLIMATE_METRICS_PORT: String(ports.METRICS),
            // The host people type, without a port: did:web:api.microclimate.lan.
            MICROCLIMATE_PUBLIC_HOSTS: HOSTS.api,
            MICROCLIMATE_PLC_URL: httpsUrl(HOSTS.plc),
            MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES: '1',
            MICROCLIMATE_DATA_DIR: path.join(PRODUCTION_DIR, 'server'),
            MICROCLIMATE_LIVEKIT_URL: livekit.url,
            MICROCLIMATE_LIVEKIT_API_KEY: lk.apiKey,
            MICROCLIMATE_LIVEKIT_API_SECRET: lk.apiSecret,
            MICROCLIMATE_AVATAR_URL: `${httpsUrl(HOSTS.pds)}/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}`,
            // A key set with kid, as a deployment that rotates its keys has (deploy/README.md).
            MICROCLIMATE_SESSION_KEYS_FILE: sessionKeysFile,
          }),
        },
      },
      `gRPC GetServerInfo on http://${ADDRESS}:${ports.API}`,
      () => apiAnswers(`http://${ADDRESS}:${ports.API}`),
      t,
      timeout,
    ),
  );

  try {
    log(`starting the production rehearsal (names under ${DOMAIN}, front door on port ${ports.FRONT}); logs in ${path.relative(ROOT, LOGS_DIR)}/`);
    const t1 = performance.now();
    const [atprotoResult, ...others] = await Promise.allSettled([
      startProductionAtproto(ports, path.join(PRODUCTION_DIR, 'pds')),
      livekitPart.start(),
      apiPart.start(),
    ]);
    if (atprotoResult.status === 'fulfilled') track({ name: 'PLC/PDS', stop: atprotoResult.value.stop });
    const failed = [atprotoResult, ...others].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const atproto = (atprotoResult as PromiseFulfilledResult<Awaited<ReturnType<typeof startProductionAtproto>>>).value;
    log(`PLC and PDS (${httpsUrl(HOSTS.pds)}, not dev mode) ready with ${atproto.accounts.map((a) => a.handle).join(', ')} (${since(t1)})`);

    const envoyFile = productionEnvoyConfig(ports, tlsFiles, PRODUCTION_DIR);
    // Envoy on TLS: checked over https on its own port (the name keeps SNI and the certificate right).
    const envoyPart = new Restartable('Envoy', track, (t) =>
      launch(
        { name: 'Envoy', command: envoyBin, args: ['-c', envoyFile, '--disable-hot-restart', '--concurrency', '2', '--log-level', 'info'], cwd: ROOT },
        `gRPC-Web over TLS on ${ADDRESS}:${ports.ENVOY}`,
        async () => {
          const ready = await httpGet(`http://${ADDRESS}:${ports.ENVOY_ADMIN}/ready`);
          if (ready.body.trim() !== 'LIVE') throw new Error(`admin /ready says ${ready.body.trim() || ready.status}`);
          return envoyForwards(`https://${HOSTS.api}:${ports.ENVOY}`);
        },
        t,
        timeout,
      ),
    );
    await envoyPart.start();

    const caddyfile = rehearsalCaddyfile(ports, tlsFiles, PRODUCTION_DIR);
    await launch(
      {
        name: 'Caddy',
        command: caddyBin,
        args: ['run', '--config', caddyfile, '--adapter', 'caddyfile'],
        cwd: ROOT,
        env: {
          XDG_DATA_HOME: path.join(PRODUCTION_DIR, 'caddy/data'),
          XDG_CONFIG_HOME: path.join(PRODUCTION_DIR, 'caddy/config'),
          MICROCLIMATE_APP_HOST: HOSTS.app,
          MICROCLIMATE_API_HOST: HOSTS.api,
          MICROCLIMATE_LIVEKIT_HOST: HOSTS.livekit,
          MICROCLIMATE_APP_ROOT: SITE_DIR,
          MICROCLIMATE_ENVOY: `${ADDRESS}:${ports.ENVOY}`,
          MICROCLIMATE_ENVOY_CA: certificate.caFile,
          MICROCLIMATE_LIVEKIT: `${ADDRESS}:${ports.LIVEKIT}`,
        },
      },
      `${app}/connect through the front door on port ${ports.FRONT}`,
      async () => (await httpGet(`${app}/connect`)).status === 200,
      track,
      timeout,
    );

    // Every public name through the front door, the way a browser will use it.
    await envoyForwards(server);
    await checkCors(server, app);
    for (const [what, url] of [['LiveKit', livekit.httpUrl], ['PDS', `${httpsUrl(HOSTS.pds)}/xrpc/_health`], ['PLC', `${httpsUrl(HOSTS.plc)}/_health`], ['client metadata', `${app}/client-metadata.json`]] as const) {
      const res = await httpGet(url);
      if (res.status !== 200) throw new Error(`${what} answers HTTP ${res.status} at ${url}`);
    }
    for (const account of atproto.accounts) {
      const res = await httpGet(`${httpsUrl(account.handle)}/.well-known/atproto-did`);
      if (res.body.trim() !== account.did) throw new Error(`https://${account.handle}/.well-known/atproto-did answers ${res.status} "${res.body.slice(0, 80)}", expected ${account.did}`);
    }

    const prometheus = options.metrics ? await startPrometheus(ports, path.join(PRODUCTION_DIR, 'prometheus'), track, timeout) : undefined;

    const control = await serveControl(controlActions({ livekit: livekitPart, api: apiPart, envoy: envoyPart, pds: atproto }));
    track({ name: 'control socket', stop: () => control.close() });

    const info: ProductionStackInfo = {
      production: true,
      app,
      server,
      pds: httpsUrl(HOSTS.pds),
      plc: httpsUrl(HOSTS.plc),
      livekit,
      names: Object.fromEntries([...Object.values(HOSTS), ...atproto.accounts.map((a) => a.handle)].map((name) => [name, ADDRESS])),
      frontPort: ports.FRONT,
      metrics: {
        prometheus,
        api: `http://${ADDRESS}:${ports.METRICS}/metrics`,
        envoy: `http://${ADDRESS}:${ports.ENVOY_ADMIN}/stats/prometheus`,
        livekit: `http://${ADDRESS}:${ports.LIVEKIT_METRICS}/metrics`,
      },
      turnUdpPort: ports.TURN_UDP,
      caFile: certificate.caFile,
      sessionKeysFile,
      spki: spkiOf(certificate.cert),
      accounts: atproto.accounts,
      ports,
      logsDir: LOGS_DIR,
      stackFile: STACK_FILE,
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    fs.writeFileSync(STACK_FILE, JSON.stringify(info, null, 2) + '\n');
    log(`production rehearsal ready in ${since(t0)}`);
    return { info, stop };
  } catch (err) {
    log('start failed; stopping what was started');
    await stop();
    throw err;
  }
}
