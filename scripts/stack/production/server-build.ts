// The API server as a deployment runs it: one JavaScript bundle made once, started with plain
// `node` (no TypeScript compiler at run time). esbuild (the compiler tsx itself uses) bundles
// server/ and the generated contract; packages stay imports, resolved from node_modules, so
// the folder it writes is what an operator copies: `server/main.mjs` (+ its source map),
// `package.json` and `package-lock.json`, then `npm ci --omit=dev` there.
//
// One build path: `npm run build` runs this file (into dist/), the production rehearsal calls
// buildServer() (into .stack/production/). Why a bundle and not Node's own type stripping:
// README "Deploying" (the sources import `./x.js`, which Node does not map to `x.ts`).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, log, since } from '../config.js';

/** Where `npm run build` writes the server: dist/server/main.mjs beside package.json and the lock. */
export const SERVER_DIST_DIR = path.join(ROOT, 'dist');

/** Builds server/main.ts into `<dir>/server/main.mjs` and returns that file. */
export async function buildServer(dir: string): Promise<string> {
  const t0 = performance.now();
  const { build } = await import('esbuild');
  const outfile = path.join(dir, 'server/main.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'server/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  // server/app.ts reads its version from ../package.json beside its own file; the lock makes
  // `npm ci --omit=dev` install exactly the tested versions.
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  log(`API server built (esbuild, one bundle) in ${since(t0)}: ${path.relative(ROOT, outfile)}`);
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  fs.rmSync(path.join(SERVER_DIST_DIR, 'server'), { recursive: true, force: true });
  await buildServer(SERVER_DIST_DIR);
}
