// Entry point: `tsx server/main.ts`. Configuration comes from MICROCLIMATE_* variables
// (see config.ts). Exits 2 on bad configuration, 0 after a graceful SIGTERM/SIGINT.
import { startServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { logEvent, stdoutWriter } from './log.js';
import { serveMetrics } from './metrics/serve.js';
import { catchUnhandledRejections } from './unhandled-rejections.js';

// After the drain: what close() may take at most (its own force-close comes at 4 s).
const HARD_EXIT_AFTER_DRAIN_MS = 5000;

async function main(): Promise<void> {
  // A backstop only: a promise nobody awaited must not take the whole replica down.
  catchUnhandledRejections(stdoutWriter);
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`microclimate server: bad configuration: ${error.message}\n`);
    process.exit(2);
  }

  const server = await startServer(config);
  // Prometheus's admin port (never through Envoy); it closes with the process.
  const metrics = config.metricsPort === undefined ? undefined : await serveMetrics(config.metricsPort, config.bind);
  logEvent(stdoutWriter, 'listening', {
    name: config.name,
    address: server.address,
    port: server.port,
    webhook_port: server.webhookPort ?? null,
    metrics_port: metrics?.port ?? null,
    public_hosts: config.publicHosts,
    dev: config.dev,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logEvent(stdoutWriter, 'stopping', { signal });
    // Whatever a stuck connection does, the process is gone within the budget.
    setTimeout(() => process.exit(0), config.drainMs + HARD_EXIT_AFTER_DRAIN_MS).unref();
    // Health turns NOT_SERVING, the proxy moves away, in-flight unary calls finish, then exit.
    void server.drain().then(() => {
      logEvent(stdoutWriter, 'stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`microclimate server: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
