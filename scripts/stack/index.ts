// The local stack: PLC + PDS (dev-env, in process), the API server, LiveKit, Envoy and the
// built app, all on 127.0.0.1. Used by `npm start`, the e2e tests and the benchmarks.
// It writes what it started to .stack/stack.json and removes it on stop().
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_DIR, appBuiltFor, buildApp, hasBuild, serveApp, stackAppEnv } from './app.js';
import { startAtproto, type Atproto, type DemoAccount } from './atproto.js';
import { startApiServer, startEnvoy, startLiveKit, stopList } from './components.js';
import { Restartable } from './restartable.js';
import { DEFAULT_PORTS, HOST, LOGS_DIR, ROOT, STACK_FILE, envoyConfig, livekitKeys, log, resolvePorts, resolveScalePorts, since, type Ports, type ScalePorts } from './config.js';
import { controlActions, serveControl } from './control.js';
import { envoyReplicasConfig } from './envoy-replicas.js';
import { checkPortsFree, httpGet } from './processes.js';
import { scaleParts, type ReplicasInfo, type ScaleParts } from './scale.js';
import { ensureChromium, ensureEnvoy, ensureLiveKit, ensureRedisServer } from './tools.js';

export { DEFAULT_PORTS, STACK_FILE, type DemoAccount, type Ports, type ReplicasInfo };

export interface StackInfo {
  app: string; // http://127.0.0.1:4173, the built PWA
  server: string; // http://localhost:8080, the Microclimate server URL (Envoy, gRPC-Web)
  api: string; // http://127.0.0.1:9051, the API server directly (gRPC, HTTP/2 cleartext)
  webhook: string; // http://127.0.0.1:9052/livekit/webhook, where LiveKit posts room events
  envoyAdmin: string; // http://127.0.0.1:9901
  plc: string; // http://localhost:2582 (dev-env names its services localhost)
  pds: string; // http://localhost:2583
  livekit: { url: string; httpUrl: string; apiKey: string; apiSecret: string };
  accounts: DemoAccount[];
  ports: Ports & Partial<ScalePorts>;
  /** Only with replicas: Redis, and per zone k API replica k + LiveKit node k (above: zone 1's). */
  replicas?: ReplicasInfo;
  chromium?: string; // path of the browser binary, when asked for with { chromium: true }
  logsDir: string;
  stackFile: string;
  startedAt: string;
  pid: number; // the orchestrator's process
}

export interface StackOptions {
  ports?: Partial<Ports>; // overrides on top of MICROCLIMATE_PORT_* and the defaults
  /** 'auto' (default): vite build only when build/ is missing; true: always; false: never. */
  build?: boolean | 'auto';
  /** API server entry, relative to the repo (default server/main.ts or MICROCLIMATE_API_ENTRY). */
  apiEntry?: string;
  chromium?: boolean; // also make sure Chromium is installed and report its path
  timeoutMs?: number; // per component health check (default 60 s: the machine may be busy)
  /** 1 (default, or MICROCLIMATE_REPLICAS): one of each. 2: Redis, 2 API replicas, 2 LiveKit nodes. */
  replicas?: number;
}

/** MICROCLIMATE_REPLICAS, checked: the replicated stack has exactly 2 of each for now. */
export function replicasFromEnv(raw = process.env.MICROCLIMATE_REPLICAS): number {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (n !== 1 && n !== 2) throw new Error(`MICROCLIMATE_REPLICAS=${raw}: the local stack runs 1 or 2 replicas`);
  return n;
}

export interface Stack {
  info: StackInfo;
  stop(): Promise<void>;
}

/** Hint for a port clash: another stack of this repo may still run. */
function runningStackHint(): string {
  try {
    const { pid } = JSON.parse(fs.readFileSync(STACK_FILE, 'utf8')) as { pid: number };
    process.kill(pid, 0);
    return `\nAnother stack is running (pid ${pid}, see ${path.relative(ROOT, STACK_FILE)}): stop it with kill -INT ${pid}`;
  } catch {
    return '';
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const t0 = performance.now();
  const timeout = options.timeoutMs ?? 60_000;
  const replicas = options.replicas ?? replicasFromEnv();
  if (replicas !== 1 && replicas !== 2) throw new Error(`replicas: ${replicas}: the local stack runs 1 or 2 replicas`);
  const ports: Ports & Partial<ScalePorts> = replicas === 2 ? resolveScalePorts(options.ports) : resolvePorts(options.ports);
  const url = (port: number) => `http://${HOST}:${port}`;
  const lk = livekitKeys();
  const apiEntry = options.apiEntry ?? process.env.MICROCLIMATE_API_ENTRY ?? 'server/main.ts';

  await checkPortsFree(ports, runningStackHint());
  fs.mkdirSync(LOGS_DIR, { recursive: true });
  if (!fs.existsSync(path.join(ROOT, apiEntry))) throw new Error(`API server entry ${apiEntry} not found in ${ROOT}`);
  const [envoyBin, livekitBin, chromium, redisBin] = await Promise.all([
    ensureEnvoy(),
    ensureLiveKit(),
    options.chromium ? ensureChromium() : Promise.resolve(undefined),
    replicas === 2 ? ensureRedisServer() : Promise.resolve(undefined),
  ]);

  const plcUrl = `http://localhost:${ports.PLC}`;
  const pdsUrl = `http://localhost:${ports.PDS}`;
  const build = options.build ?? 'auto';
  const server = `http://localhost:${ports.ENVOY}`;
  // 'auto' also rebuilds an app built for another server (another port block's, the production rehearsal's).
  if (build === true || (build === 'auto' && !appBuiltFor(server))) {
    if (build === 'auto') log(hasBuild() ? `build/ has an app for another server than ${server}` : 'build/ has no app yet');
    await buildApp(stackAppEnv({ server, plc: plcUrl, pds: pdsUrl }));
  } else if (!hasBuild()) {
    throw new Error(`No built app in ${BUILD_DIR} (200.html missing): run npm run build, or start with build enabled`);
  } else if (ports.ENVOY !== DEFAULT_PORTS.ENVOY || ports.PLC !== DEFAULT_PORTS.PLC || ports.PDS !== DEFAULT_PORTS.PDS) {
    log('note: reusing build/; it may point at the default ports (start with { build: true } to rebuild)');
  }

  const { track, stop } = stopList();
  const lkConfig = { url: `ws://${HOST}:${ports.LIVEKIT}`, httpUrl: url(ports.LIVEKIT), ...lk };
  // The parts the control socket can stop and start again; each stays tracked through restarts.
  // One of each, or the replicated parts (scale.ts) with zone 1's in the single stack's places.
  const scale: ScaleParts | undefined = redisBin
    ? scaleParts({ ports: ports as Ports & ScalePorts, track, timeoutMs: timeout, bins: { livekit: livekitBin, redis: redisBin }, apiEntry, apiEnv: { plcUrl, pdsUrl, livekit: lkConfig } })
    : undefined;
  const livekitPart = scale?.livekit[0] ?? new Restartable('LiveKit', track, (t) => startLiveKit(livekitBin, ports, t, timeout));
  const apiPart = scale?.api[0] ?? new Restartable('API server', track, (t) => startApiServer(apiEntry, ports, { plcUrl, pdsUrl, livekit: lkConfig }, t, timeout));

  try {
    // PLC + PDS (dev-env takes seconds to import), LiveKit and the API server start together.
    log(`starting PLC + PDS, ${scale ? 'Redis, 2 LiveKit nodes and 2 API replicas' : 'LiveKit and the API server'}; logs in ${path.relative(ROOT, LOGS_DIR)}/`);
    const livekit = lkConfig;
    const startAtprotoTimed = async () => {
      const t1 = performance.now();
      const result = await startAtproto(ports);
      track({ name: 'PLC/PDS', stop: result.stop });
      log(`PLC ${result.plcUrl} and PDS ${result.pdsUrl} ready with ${result.accounts.map((a) => a.handle).join(', ')} (${since(t1)})`);
      return result;
    };
    const [atprotoResult, ...others] = await Promise.allSettled([
      startAtprotoTimed(),
      ...(scale ? [scale.start()] : [livekitPart.start(), apiPart.start()]),
    ]);
    const failed = [atprotoResult, ...others].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const atproto = (atprotoResult as PromiseFulfilledResult<Atproto>).value;
    if (atproto.plcUrl !== plcUrl || atproto.pdsUrl !== pdsUrl) throw new Error(`dev-env URLs differ from the expected: ${atproto.plcUrl} ${atproto.pdsUrl}`);

    const envoyFile = scale ? envoyReplicasConfig(ports as Ports & ScalePorts) : envoyConfig(ports);
    const envoyPart = new Restartable('Envoy', track, (t) => startEnvoy(envoyBin, ports, t, timeout, envoyFile));
    await envoyPart.start();

    const t = performance.now();
    const app = await serveApp(ports.APP);
    track({ name: 'app', stop: app.stop });
    const page = await httpGet(`${url(ports.APP)}/some/deep/link`);
    if (page.status !== 200) throw new Error(`app (static server) answers HTTP ${page.status} for a deep link`);
    log(`app ready on ${url(ports.APP)} (${since(t)})`);

    const control = await serveControl(
      controlActions({ livekit: livekitPart, api: apiPart, envoy: envoyPart, pds: atproto, ...(scale && { api2: scale.api[1], livekit2: scale.livekit[1], redis: scale.redis }) }),
    );
    track({ name: 'control socket', stop: () => control.close() });

    const info: StackInfo = {
      app: url(ports.APP),
      server: `http://localhost:${ports.ENVOY}`,
      api: url(ports.API),
      webhook: `${url(ports.WEBHOOK)}/livekit/webhook`,
      envoyAdmin: url(ports.ENVOY_ADMIN),
      plc: plcUrl,
      pds: pdsUrl,
      livekit,
      accounts: atproto.accounts,
      ports,
      ...(scale ? { replicas: scale.info } : {}),
      ...(chromium ? { chromium } : {}),
      logsDir: LOGS_DIR,
      stackFile: STACK_FILE,
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    fs.writeFileSync(STACK_FILE, JSON.stringify(info, null, 2) + '\n');
    log(`stack ready in ${since(t0)}`);
    return { info, stop };
  } catch (err) {
    log('start failed; stopping what was started');
    await stop();
    throw err;
  }
}

/** Reads .stack/stack.json written by a running stack (for tests and benchmarks). */
export function readStackInfo(): StackInfo {
  return JSON.parse(fs.readFileSync(STACK_FILE, 'utf8')) as StackInfo;
}
