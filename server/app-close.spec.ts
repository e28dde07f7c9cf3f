import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { startServer } from './app.js';
import { loadConfig } from './config.js';

describe('startServer close', () => {
  it('cuts a connection whose stream never ends, within the grace period', async () => {
    const server = await startServer(loadConfig({ MICROCLIMATE_GRPC_PORT: '0' }), { log: () => {}, closeGraceMs: 300 });
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    client.on('error', () => {});
    // A request whose body never ends keeps its stream open however the server treats it.
    const stream = client.request({
      ':method': 'POST',
      ':path': '/microclimate.auth.v1.AuthService/GetServerInfo',
      'content-type': 'application/grpc',
    });
    stream.on('error', () => {});
    stream.write(Buffer.from([0, 0, 0, 0, 5]));
    await new Promise((resolve) => client.once('remoteSettings', resolve));

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise<void>((resolve) => (client.closed ? resolve() : client.once('close', () => resolve())));
    expect(client.closed || client.destroyed).toBe(true);
  });
});
