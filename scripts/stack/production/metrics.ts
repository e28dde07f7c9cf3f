// `npm start -- --production --metrics`: Prometheus (Debian's package) scraping the API
// server's admin port, Envoy's /stats/prometheus and LiveKit's prometheus_port, with the
// alert rules an operator runs. The config and rules are generated from deploy/prometheus.yml
// and deploy/alerts.yml with this stack's ports and 1 s intervals and `for:` waits, so that an
// alert fires within seconds of a part stopping (the production suite checks one).
import fs from 'node:fs';
import path from 'node:path';
import { launch, type Track } from '../components.js';
import { ROOT } from '../config.js';
import { httpGet } from '../processes.js';
import { ensurePrometheus } from '../tools.js';
import { once } from './configs.js';
import { ADDRESS, type ProductionPorts } from './names.js';

/** Deploy defaults the generated copy replaces: the API's metrics port, Envoy's admin, LiveKit's. */
const DEPLOY_TARGETS = { api: '127.0.0.1:9054', envoy: '127.0.0.1:9901', livekit: '127.0.0.1:6789' } as const;
/** How long a rule's condition must hold in the rehearsal (deploy: minutes). */
export const REHEARSAL_FOR = '2s';

/** deploy/prometheus.yml and deploy/alerts.yml into `dir`, with this stack's ports and short waits. */
export function prometheusConfig(ports: ProductionPorts, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(ROOT, 'deploy/prometheus.yml');
  let text = fs.readFileSync(src, 'utf8');
  text = once(text, src, /scrape_interval: 15s/, 'scrape_interval: 1s');
  text = once(text, src, /scrape_timeout: 10s/, 'scrape_timeout: 1s');
  text = once(text, src, /evaluation_interval: 15s/, 'evaluation_interval: 1s');
  text = once(text, src, `'${DEPLOY_TARGETS.api}'`, `'${ADDRESS}:${ports.METRICS}'`);
  text = once(text, src, `'${DEPLOY_TARGETS.envoy}'`, `'${ADDRESS}:${ports.ENVOY_ADMIN}'`);
  text = once(text, src, `'${DEPLOY_TARGETS.livekit}'`, `'${ADDRESS}:${ports.LIVEKIT_METRICS}'`);
  const rulesSrc = path.join(ROOT, 'deploy/alerts.yml');
  const rules = fs.readFileSync(rulesSrc, 'utf8').replace(/^(\s+for: )\d+[smh]$/gm, `$1${REHEARSAL_FOR}`);
  fs.writeFileSync(path.join(dir, 'alerts.yml'), `# Generated from deploy/alerts.yml (for: ${REHEARSAL_FOR}).\n${rules}`);
  const out = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(out, `# Generated from deploy/prometheus.yml by scripts/stack/production/metrics.ts.\n${text}`);
  return out;
}

/** Starts Prometheus on ADDRESS:ports.PROMETHEUS (data in dir/data, emptied first); resolves once it is ready. */
export async function startPrometheus(ports: ProductionPorts, dir: string, track: Track, timeoutMs: number): Promise<string> {
  const bin = await ensurePrometheus();
  const config = prometheusConfig(ports, dir);
  const data = path.join(dir, 'data');
  fs.rmSync(data, { recursive: true, force: true });
  const url = `http://${ADDRESS}:${ports.PROMETHEUS}`;
  await launch(
    {
      name: 'Prometheus',
      command: bin,
      args: [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=${ADDRESS}:${ports.PROMETHEUS}`, '--storage.tsdb.retention.time=1d'],
      cwd: dir,
    },
    `GET ${url}/-/ready`,
    async () => (await httpGet(`${url}/-/ready`)).status === 200,
    track,
    timeoutMs,
  );
  return url;
}
