// The admin listener: GET /metrics in Prometheus's text format, on its own port
// (MICROCLIMATE_METRICS_PORT, on MICROCLIMATE_BIND), never routed through Envoy: the figures
// are for the operator's Prometheus, not for the public.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './registry.js';

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(port: number, bind: string): Promise<MetricsListener> {
  const server = http.createServer({ requestTimeout: 10_000 }, (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('use GET\n');
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
