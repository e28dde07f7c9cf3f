// deploy/ is what an operator copies (deploy/README.md): the systemd units must pass
// `systemd-analyze verify` and carry the hardening the runbook promises, and the environment
// file template must name every MICROCLIMATE_* variable the server reads, with values the
// server accepts.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { ensureCaddy, ensureEnvoy, ensureLiveKit, ensureRedisServer } from '../../scripts/stack/tools.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const UNITS_DIR = path.join(ROOT, 'deploy/systemd');
const TEMPLATE = path.join(ROOT, 'deploy/microclimate.env');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const units = fs.readdirSync(UNITS_DIR).filter((f) => f.endsWith('.service'));

describe('deploy/systemd units', () => {
  it('has a unit for the API server, Envoy, LiveKit, Caddy and Redis', () => {
    expect(units.sort()).toEqual(['microclimate-api.service', 'microclimate-caddy.service', 'microclimate-envoy.service', 'microclimate-livekit.service', 'microclimate-redis.service']);
  });

  it.each(units)('%s runs as a dynamic user, read-only system, no new privileges, restarted on failure', (unit) => {
    const text = fs.readFileSync(path.join(UNITS_DIR, unit), 'utf8');
    for (const line of ['DynamicUser=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'Restart=on-failure']) {
      expect(text.split('\n'), `${unit}: ${line}`).toContain(line);
    }
  });

  it('passes systemd-analyze verify, with the ExecStart binaries at their real paths on this machine', async () => {
    expect(fs.existsSync(SYSTEMD_ANALYZE), `${SYSTEMD_ANALYZE} is missing (Debian package systemd)`).toBe(true);
    // The units name the paths of a deployment; verify needs each binary to exist, so the
    // copies point at this machine's (the stack's tools and the Node running this test).
    const binaries: Record<string, string> = {
      '/usr/bin/node': process.execPath,
      '/usr/local/bin/envoy': await ensureEnvoy(),
      '/usr/local/bin/livekit-server': await ensureLiveKit(),
      '/usr/bin/caddy': await ensureCaddy(),
      '/usr/bin/redis-server': await ensureRedisServer(),
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-units-'));
    try {
      for (const unit of units) {
        let text = fs.readFileSync(path.join(UNITS_DIR, unit), 'utf8');
        for (const [from, to] of Object.entries(binaries)) text = text.replaceAll(from, to);
        fs.writeFileSync(path.join(dir, unit), text);
      }
      const run = await promisify(execFile)(SYSTEMD_ANALYZE, ['verify', '--man=no', ...units.map((u) => path.join(dir, u))]).catch((e: { code: number; stderr: string }) => e);
      // A misspelt directive is only a warning (exit 0): any output fails the test too.
      expect(run.stderr).toBe('');
      expect('code' in run ? run.code : 0).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // On a fresh clone ensureLiveKit() builds LiveKit (minutes), as the integration spec's hook may.
  }, 900_000);
});

describe('deploy/microclimate.env', () => {
  const template = fs.readFileSync(TEMPLATE, 'utf8');

  it('names every MICROCLIMATE_* variable that server/config.ts reads', () => {
    const read = new Set(fs.readFileSync(path.join(ROOT, 'server/config.ts'), 'utf8').match(/MICROCLIMATE_[A-Z0-9_]+/g));
    const named = new Set([...template.matchAll(/^#? ?(MICROCLIMATE_[A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...read].filter((v) => !named.has(v))).toEqual([]);
    expect(read.size).toBeGreaterThan(25);
  });

  it('is a configuration the server accepts as it stands (with a data dir of this machine)', () => {
    const env = Object.fromEntries([...template.matchAll(/^(MICROCLIMATE_[A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    env.MICROCLIMATE_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-env-'));
    const config = loadConfig(env);
    expect(config.publicHosts).toEqual(['api.example.com']);
    expect(config.dev).toBe(false);
  });
});
