// The child-process components of the stack: how each is launched and health-checked.
// Each registers its stop with `track` as soon as it is spawned, so a failed start can be undone.
import fs from 'node:fs';
import path from 'node:path';
import { HOST, ROOT, STACK_DIR, STACK_FILE, envoyConfig, livekitConfig, log, since, type Ports } from './config.js';
import { apiAnswers, checkCors, envoyForwards } from './health.js';
import { httpGet, startProcess, waitHealthy, type SpawnOptions } from './processes.js';

export type Track = (component: { name: string; stop(options?: { abrupt?: boolean }): Promise<void> }) => void;

/**
 * The parts a stack has started, stopped in reverse order by `stop` (a failure is logged and
 * the rest still stop), which then removes the stack file: one shape for every kind of stack.
 */
export function stopList(): { track: Track; stop: () => Promise<void> } {
  const stops: { name: string; stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log(`stopping ${s.name} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
    fs.rmSync(STACK_FILE, { force: true });
  };
  return { track: (component) => stops.push(component), stop };
}
const url = (port: number) => `http://${HOST}:${port}`;

// Every default port lies below Linux's ephemeral range (32768-60999): the API server's used to
// be 50051/50052, inside it, where another part's outgoing connection held one as its local
// port often enough to fail a fresh-clone run's start (twice). A port overridden into that
// range can still meet it, so a part whose listen() fails with EADDRINUSE is started again, a
// few times, a second apart.
const PORT_RETRIES = 3;

export async function launch(spec: SpawnOptions, what: string, check: () => Promise<boolean>, track: Track, timeoutMs: number) {
  const t0 = performance.now();
  for (let attempt = 1; ; attempt++) {
    const proc = startProcess(spec);
    track(proc);
    try {
      await waitHealthy(proc, spec.name, what, check, timeoutMs);
      break;
    } catch (err) {
      const exited = proc.child.exitCode !== null || proc.child.signalCode !== null;
      if (!exited || attempt > PORT_RETRIES || !(err instanceof Error && /EADDRINUSE/.test(err.message))) throw err;
      log(`${spec.name}: its port was in use (EADDRINUSE); starting it again in 1 s (attempt ${attempt + 1})`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  log(`${spec.name} ready: ${what} (${since(t0)})`);
}

/** `node` picks another config and port (a node of the replicated stack); the default is deploy/livekit.yaml's. */
export function startLiveKit(bin: string, ports: Ports, track: Track, timeoutMs: number, node?: { name: string; config: string; port: number }): Promise<void> {
  const httpUrl = url(node?.port ?? ports.LIVEKIT);
  return launch(
    { name: node?.name ?? 'LiveKit', command: bin, args: ['--config', node?.config ?? livekitConfig(ports)], cwd: ROOT },
    `GET ${httpUrl}`,
    async () => (await httpGet(httpUrl)).status === 200,
    track,
    timeoutMs,
  );
}

export interface ApiServerEnv {
  plcUrl: string;
  pdsUrl: string;
  livekit: { url: string; apiKey: string; apiSecret: string };
  /** A replica of the replicated stack: its name (log file), own ports and extra environment. */
  replica?: { name: string; grpcPort: number; webhookPort: number; env: NodeJS.ProcessEnv };
}

/** The reference API server (`server/main.ts` by default), run with this Node and tsx. */
export function startApiServer(entry: string, ports: Ports, env: ApiServerEnv, track: Track, timeoutMs: number): Promise<void> {
  const grpcPort = env.replica?.grpcPort ?? ports.API;
  return launch(
    {
      name: env.replica?.name ?? 'API server',
      command: process.execPath,
      args: ['--import', 'tsx', entry],
      cwd: ROOT,
      env: {
        MICROCLIMATE_GRPC_PORT: String(grpcPort),
        // LiveKit posts room events here (deploy/livekit.yaml's webhook URL, same port).
        MICROCLIMATE_WEBHOOK_PORT: String(env.replica?.webhookPort ?? ports.WEBHOOK),
        MICROCLIMATE_PUBLIC_HOSTS: `localhost:${ports.ENVOY},127.0.0.1:${ports.ENVOY}`,
        MICROCLIMATE_DEV: '1',
        MICROCLIMATE_PLC_URL: env.plcUrl,
        // *.test handles resolve only through the local PDS.
        MICROCLIMATE_DEV_HANDLE_RESOLVER_URL: env.pdsUrl,
        MICROCLIMATE_DATA_DIR: path.join(STACK_DIR, 'server'),
        MICROCLIMATE_LIVEKIT_URL: env.livekit.url,
        MICROCLIMATE_LIVEKIT_API_KEY: env.livekit.apiKey,
        MICROCLIMATE_LIVEKIT_API_SECRET: env.livekit.apiSecret,
        ...env.replica?.env,
        // Avatars straight from the local PDS (no image CDN here); the app's img-src allows it.
        MICROCLIMATE_AVATAR_URL: `${env.pdsUrl}/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}`,
      },
    },
    `gRPC GetServerInfo on ${url(grpcPort)}`,
    () => apiAnswers(url(grpcPort)),
    track,
    timeoutMs,
  );
}

/** Envoy; ready when admin /ready says LIVE, a gRPC-Web call gets through and CORS answers. */
export function startEnvoy(bin: string, ports: Ports, track: Track, timeoutMs: number, config = envoyConfig(ports)): Promise<void> {
  return launch(
    {
      name: 'Envoy',
      command: bin,
      // No hot restart: it would claim a shared-memory id that a second Envoy on this machine needs.
      args: ['-c', config, '--disable-hot-restart', '--concurrency', '2', '--log-level', 'info'],
      cwd: ROOT,
    },
    `gRPC-Web and CORS on ${url(ports.ENVOY)}, admin ${url(ports.ENVOY_ADMIN)}`,
    async () => {
      const ready = await httpGet(`${url(ports.ENVOY_ADMIN)}/ready`);
      if (ready.body.trim() !== 'LIVE') throw new Error(`admin /ready says ${ready.body.trim() || ready.status}`);
      await envoyForwards(url(ports.ENVOY));
      await checkCors(url(ports.ENVOY), url(ports.APP));
      return true;
    },
    track,
    timeoutMs,
  );
}
