// `npm start`: the whole local stack on 127.0.0.1 until Ctrl-C. See scripts/stack/.
import path from 'node:path';
import { startStack, type Stack } from './stack/index.js';

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
  stack = await startStack({ build: true });
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
