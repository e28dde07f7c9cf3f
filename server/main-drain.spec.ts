// The process as deployed: `server/main.ts` drains on SIGTERM (health NOT_SERVING for
// MICROCLIMATE_DRAIN_MS while unary calls are still answered), then exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../src/lib/gen/grpc/health/v1/health_pb.js';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.js';

describe('server/main.ts on SIGTERM', () => {
  it('reports NOT_SERVING for the drain time, still answers unary calls, then exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, MICROCLIMATE_GRPC_PORT: '0', MICROCLIMATE_DRAIN_MS: '1500', MICROCLIMATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'mc-main-')) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
    });
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
    const health = createClient(Health, transport);
    expect((await health.check({ service: '' })).status).toBe(Status.SERVING);

    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    await expect.poll(async () => (await health.check({ service: '' })).status).toBe(Status.NOT_SERVING);
    expect((await createClient(AuthService, transport).getServerInfo({})).name).not.toBe('');
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1500);
    expect(out).toMatch(/"msg":"draining"[\s\S]*"msg":"stopped"/);
  }, 120_000); // a child process that compiles the server with tsx: slow on a loaded machine
});
