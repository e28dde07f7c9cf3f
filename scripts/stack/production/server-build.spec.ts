// The production server build as an operator installs it: the bundle, package.json and the
// lock copied into a clean folder (no node_modules anywhere above it), `npm ci --omit=dev`
// there, then `node server/main.mjs` with an env file. It must answer its health check with
// production dependencies only: a server import that sits in devDependencies fails here.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../../src/lib/gen/grpc/health/v1/health_pb.js';
import { buildServer } from './server-build.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-server-build-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the production server build', () => {
  it('starts with `node server/main.mjs` after `npm ci --omit=dev` in a clean folder and answers its health check', async () => {
    const entry = await buildServer(dir);
    expect(path.relative(dir, entry)).toBe(path.join('server', 'main.mjs'));
    // Offline-preferring: the packages come from npm's cache, the registry only for a miss.
    await promisify(execFile)('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, timeout: 180_000 });
    expect(fs.existsSync(path.join(dir, 'node_modules/tsx')), 'a dev dependency was installed').toBe(false);

    const envFile = path.join(dir, 'microclimate.env');
    fs.writeFileSync(envFile, ['MICROCLIMATE_NAME=Build check', 'MICROCLIMATE_GRPC_PORT=0', 'MICROCLIMATE_PUBLIC_HOSTS=api.example.com', `MICROCLIMATE_DATA_DIR=${path.join(dir, 'data')}`, ''].join('\n'));
    // No NODE_OPTIONS from the test runner (it may preload tsx): plain node, as systemd runs it.
    const { NODE_OPTIONS: _unused, ...env } = process.env;
    const child = spawn(process.execPath, [`--env-file=${envFile}`, 'server/main.mjs'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const read = (chunk: Buffer): void => {
          out += chunk.toString();
          const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.once('exit', (code) => reject(new Error(`the built server exited (${code}) before listening: ${out}`)));
      });
      const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await health.check({ service: '' })).status).toBe(Status.SERVING);
    } finally {
      child.kill('SIGTERM');
    }
  }, 240_000); // npm ci of ~180 packages from the cache: ~25 s here, more on a loaded machine
});
