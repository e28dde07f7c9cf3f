// The admin listener: GET /metrics in Prometheus's text format, on its own port
// (MICROCLIMATE_METRICS_PORT, on MICROCLIMATE_BIND), never routed through Envoy: the figures
// are for the operator's Prometheus, not for the public.
import http from 'node:http';
import { listenHttp, type HttpListener } from '../http-listen.js';
import { registry } from './registry.js';

export type MetricsListener = HttpListener;

export async function serveMetrics(port: number, bind: string): Promise<MetricsListener> {
  const server = http.createServer({ requestTimeout: 10_000 }, (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('use GET\n');
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  return listenHttp(server, port, bind);
}
