// The rehearsal's Prometheus config is deploy/prometheus.yml and deploy/alerts.yml with the
// stack's ports and short waits, and Prometheus's own checker accepts both copies.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROMETHEUS } from '../tools.js';
import { prometheusConfig, REHEARSAL_FOR } from './metrics.js';
import { resolveProductionPorts } from './names.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microclimate-prometheus-spec-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const promtool = path.join(path.dirname(PROMETHEUS), 'promtool');

describe('the rehearsal Prometheus config', () => {
  it("scrapes this stack's API, Envoy admin and LiveKit ports every second, with deploy/alerts.yml's rules waiting 2 s", () => {
    const ports = { ...resolveProductionPorts(), METRICS: 19054, ENVOY_ADMIN: 19901, LIVEKIT_METRICS: 19064 };
    const file = prometheusConfig(ports, dir);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/scrape_interval: 1s/);
    expect(text).toMatch(/evaluation_interval: 1s/);
    for (const target of ['127.0.0.1:19054', '127.0.0.1:19901', '127.0.0.1:19064']) expect(text).toContain(`'${target}'`);
    const rules = fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8');
    const deployRules = fs.readFileSync(path.join(import.meta.dirname, '../../../deploy/alerts.yml'), 'utf8');
    expect(rules.match(/^\s+for: .*$/gm)?.map((l) => l.trim())).toEqual(deployRules.match(/^\s+for: .*$/gm)?.map(() => `for: ${REHEARSAL_FOR}`));
    for (const alert of ['MicroclimateApiDown', 'MicroclimateSignInRefusalsSpiking', 'EnvoyCircuitBreakerOpen', 'LiveKitNodeDown', 'MicroclimateStoreErrors']) {
      expect(rules).toContain(`alert: ${alert}`);
    }
  });

  it.runIf(fs.existsSync(promtool))('promtool accepts the deploy files and the generated copies', () => {
    const deploy = path.join(import.meta.dirname, '../../../deploy/prometheus.yml');
    const generated = prometheusConfig(resolveProductionPorts(), dir);
    for (const file of [deploy, generated]) {
      const out = execFileSync(promtool, ['check', 'config', file], { encoding: 'utf8' });
      expect(out).toMatch(/SUCCESS: 5 rules found/);
    }
  });
});
