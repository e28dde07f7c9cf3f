// `npm start`: the whole local stack on 127.0.0.1 until Ctrl-C. See scripts/stack/.
// `npm start -- --replicas 2` (or MICROCLIMATE_REPLICAS=2) runs Redis, 2 API replicas and
// 2 LiveKit nodes behind Envoy (README "Running more than one of each").
import path from 'node:path';
import { replicasFromEnv, startStack, type Stack } from './stack/index.js';

/** `--replicas N` / `--replicas=N` wins over MICROCLIMATE_REPLICAS; anything else is refused. */
function replicasFromArgs(args: string[]): number {
  let raw: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--replicas') raw = args[++i] ?? '';
    else if (arg.startsWith('--replicas=')) raw = arg.slice('--replicas='.length);
    else throw new Error(`unknown argument ${arg} (npm start accepts --replicas 1|2)`);
  }
  return replicasFromEnv(raw ?? process.env.MICROCLIMATE_REPLICAS);
}

const t0 = performance.now();
let stack: Stack | undefined;
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
  stack = await startStack({ build: true, replicas: replicasFromArgs(process.argv.slice(2)) });
  if (stopping) {
    await stack.stop(); // a signal came while starting
    process.exit(0);
  }
  const { info } = stack;
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
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`\n[stack] FAILED: ${message}\n`);
  process.exit(1);
}
