// The API server as a deployment runs it: one JavaScript bundle made once, started with plain
// `node` (no TypeScript compiler at run time). esbuild (the compiler tsx itself uses) bundles
// server/ and the generated contract; packages stay imports, resolved from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, log, since } from '../config.js';

/** Builds server/main.ts into `<dir>/server-build/main.mjs` and returns that file. */
export async function buildServer(dir: string): Promise<string> {
  const t0 = performance.now();
  const { build } = await import('esbuild');
  const outfile = path.join(dir, 'server-build/main.mjs');
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
  // server/app.ts reads its version from ../package.json beside its own file.
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  log(`API server built (esbuild, one bundle) in ${since(t0)}: ${path.relative(ROOT, outfile)}`);
  return outfile;
}
