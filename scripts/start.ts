// `npm start`: the whole local stack on 127.0.0.1 until Ctrl-C. See scripts/stack/.
// `npm start -- --replicas 2` (or MICROCLIMATE_REPLICAS=2) runs Redis, 2 API replicas and
// 2 LiveKit nodes behind Envoy (README "Running more than one of each").
// `npm start -- --production` rehearses the production shape (README "Deploying";
// scripts/stack/production/); `npm start -- --production --metrics` adds Prometheus (README "Metrics").
import path from 'node:path';
import { replicasFromEnv, startStack, type Stack } from './stack/index.js';
import { productionBanner } from './stack/production/banner.js';

/** `--replicas N` / `--replicas=N` wins over MICROCLIMATE_REPLICAS; `--production` alone (with `--metrics` or not); anything else is refused. */
function parseArgs(args: string[]): { replicas: number; production: boolean; metrics: boolean } {
  let raw: string | undefined;
  let production = false;
  let metrics = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--replicas') raw = args[++i] ?? '';
    else if (arg.startsWith('--replicas=')) raw = arg.slice('--replicas='.length);
    else if (arg === '--production') production = true;
    else if (arg === '--metrics') metrics = true;
    else throw new Error(`unknown argument ${arg} (npm start accepts --replicas 1|2, or --production [--metrics])`);
  }
  if (metrics && !production) throw new Error('--metrics goes with --production (Prometheus scrapes the production rehearsal)');
  if (production && raw !== undefined) throw new Error('--production runs one of each: it does not take --replicas');
  return { replicas: replicasFromEnv(raw ?? process.env.MICROCLIMATE_REPLICAS), production, metrics };
}

const t0 = performance.now();
let stack: Pick<Stack, 'stop'> | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    process.stderr.write(`[stack] ${signal} again: still stopping, please wait\n`);
    return;
  }
  stopping = true;
  process.stderr.write(`\n[stack] ${signal}: stopping everything\n`);
  await stack?.stop();
  process.stderr.write('[stack] stopped\n');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));

try {
  const args = parseArgs(process.argv.slice(2));
  if (args.production) {
    // Imported only here: it maps names and trusts its CA in this process when it starts.
    const { startProductionStack } = await import('./stack/production/index.js');
    const production = await startProductionStack({ metrics: args.metrics });
    stack = production;
    if (stopping) {
      await production.stop();
      process.exit(0);
    }
    console.log(productionBanner(production.info, (performance.now() - t0) / 1000));
  } else {
    const started = await startStack({ build: true, replicas: args.replicas });
    stack = started;
    if (stopping) {
      await started.stop(); // a signal came while starting
      process.exit(0);
    }
    const { info } = started;
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const accounts = info.accounts.map((a) => `    ${a.handle.padEnd(12)} password ${a.password.padEnd(16)} ${a.did}`);
    console.log(
      [
        '',
        `Microclimate local stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        '',
        `  Open the app:     ${info.app}`,
        `  Server URL:       ${info.server}   (Envoy, gRPC-Web; API server ${info.api})`,
        `  PDS / PLC:        ${info.pds}   ${info.plc}`,
        `  LiveKit:          ${info.livekit.url}`,
        ...(info.replicas
          ? [
              `  Redis:            ${info.replicas.redis}`,
              ...info.replicas.zones.map((z, i) => `  Zone ${i + 1}:           API ${z.api}, LiveKit ${z.livekit.url}, front doors ${z.server} and ${z.livekitFrontDoor}`),
            ]
          : []),
        '  Demo accounts (sign in with the handle):',
        ...accounts,
        '',
        `  Endpoints and accounts: ${rel(info.stackFile)}   logs: ${rel(info.logsDir)}/`,
        '  Press Ctrl-C to stop everything.',
        '',
      ].join('\n'),
    );
  }
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`\n[stack] FAILED: ${message}\n`);
  process.exit(1);
}
