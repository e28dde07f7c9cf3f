// The built PWA: built with `vite build` when needed, served from build/ by sirv in
// single-page mode (not `vite preview`: it does not serve /200.html, which the service
// worker precaches).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sirv from 'sirv';
import { HOST, LOGS_DIR, ROOT, log, since } from './config.js';
import { tailLog } from './processes.js';

export const BUILD_DIR = path.join(ROOT, 'build');
const FALLBACK = '200.html';

/** Whether build/ holds an app built for this server URL (it is baked into the bundle). */
export function appBuiltFor(serverUrl: string): boolean {
  const dir = path.join(BUILD_DIR, '_app/immutable');
  if (!fs.existsSync(path.join(BUILD_DIR, FALLBACK)) || !fs.existsSync(dir)) return false;
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  return files.some((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(serverUrl));
}

/**
 * The PUBLIC_* settings of the local stack's app (npm start, the tests, and the new versions
 * the service-worker tests deploy): where the server, the PLC and the handle resolver are.
 */
export function stackAppEnv(urls: { server: string; plc: string; pds: string }): Record<string, string> {
  return {
    // did:web allows a port only on "localhost", so the server is named that way.
    PUBLIC_DEFAULT_SERVER_URL: urls.server,
    PUBLIC_PLC_URL: urls.plc,
    PUBLIC_HANDLE_RESOLVER_URL: urls.pds,
    // The API server points avatars at the PDS's getBlob (components.ts): CSP img-src.
    PUBLIC_AVATAR_ORIGIN: urls.pds,
    PUBLIC_APP_URL: '',
  };
}

/** Runs `vite build` with the stack's endpoints in PUBLIC_* env; output in .stack/logs/build.log. */
export async function buildApp(env: Record<string, string>): Promise<void> {
  const t0 = performance.now();
  fs.mkdirSync(LOGS_DIR, { recursive: true });
  const logFile = path.join(LOGS_DIR, 'build.log');
  log(`building the app (vite build, ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}); log: ${path.relative(ROOT, logFile)}`);
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [vite, 'build'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0 || !fs.existsSync(path.join(BUILD_DIR, FALLBACK))) {
    throw new Error(`App build (vite build) failed (exit code ${code}). Last lines of ${logFile}:\n${tailLog(logFile)}`);
  }
  log(`app built in ${since(t0)}`);
}

export function hasBuild(): boolean {
  return fs.existsSync(path.join(BUILD_DIR, FALLBACK));
}

/**
 * Headers every response gets. The page's own Content-Security-Policy is a <meta> tag that
 * SvelteKit writes (kit.csp in svelte.config.js); frame-ancestors only works as a header,
 * so the static host sends it (clickjacking: no site may frame the app). A deployment's
 * host must send the same three.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Serves build/ on 127.0.0.1:<port>; resolves once listening. */
export async function serveApp(port: number): Promise<{ stop(): Promise<void> }> {
  const serve = sirv(BUILD_DIR, {
    single: FALLBACK,
    // Looks files up on disk per request instead of listing build/ once at start, so a
    // rebuild while the stack runs is served at once: a deployed new version is what an
    // open app's update check must find (tests/e2e/pwa.e2e.ts). A few stat calls a request.
    dev: true,
    etag: true,
    // The build writes .br and .gz beside each file (adapter-static `precompress`): sirv
    // sends the one the browser accepts, with Content-Encoding and Vary.
    gzip: true,
    brotli: true,
    setHeaders(res, pathname) {
      if (pathname.startsWith('/_app/immutable/')) {
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      } else {
        // HTML, the service worker (sw.js, so the browser's update check always reaches
        // the server), the web manifest and everything unhashed: always revalidate.
        res.setHeader('Cache-Control', 'no-cache');
      }
      if (pathname === '/sw.js' || pathname.startsWith('/workbox-')) {
        res.setHeader('Service-Worker-Allowed', '/');
      }
    },
  });
  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`app (static server) cannot listen on ${HOST}:${port}: ${err.message}`)));
    server.listen(port, HOST, () => resolve());
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
