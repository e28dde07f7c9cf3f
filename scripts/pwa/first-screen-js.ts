// The JavaScript the first screen (/connect) loads before anything else: SvelteKit's
// entries, the root layout, the connect page and what they import statically, read from
// Vite's client manifest of the last build. Run: `npx tsx scripts/pwa/first-screen-js.ts`.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { lazyFiles, type ViteManifest } from './lazy-chunks.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, '.svelte-kit/output/client');

export interface FirstScreenJs {
	files: { file: string; bytes: number; gzip: number }[];
	bytes: number;
	gzip: number;
	/** Files only import() reaches (the OAuth client, LiveKit), none of them in `files`. */
	lazy: string[];
}

/** Route node of a page, found by what SvelteKit's generated node module imports. */
function nodeOf(manifest: ViteManifest, routeFile: string): string {
	const key = Object.keys(manifest).find((k) => {
		const src = manifest[k]!.src;
		if (!src?.startsWith('.svelte-kit/generated/client-optimized/nodes/')) return false;
		return fs.readFileSync(path.join(ROOT, src), 'utf8').includes(routeFile);
	});
	if (!key) throw new Error(`No route node imports ${routeFile}`);
	return key;
}

export function firstScreenJs(): FirstScreenJs {
	const manifest = JSON.parse(fs.readFileSync(path.join(CLIENT, '.vite/manifest.json'), 'utf8')) as ViteManifest;
	const entries = Object.keys(manifest).filter((k) => {
		const src = manifest[k]!.src ?? '';
		return manifest[k]!.isEntry && !src.includes('/nodes/');
	});
	const roots = [...entries, nodeOf(manifest, 'src/routes/+layout.svelte'), nodeOf(manifest, 'src/routes/connect/+page.svelte')];
	const seen = new Set<string>();
	const visit = (key: string) => {
		if (seen.has(key) || !manifest[key]) return;
		seen.add(key);
		for (const dep of manifest[key].imports ?? []) visit(dep);
	};
	roots.forEach(visit);
	const files = [...seen]
		.map((k) => manifest[k]!.file)
		.filter((f) => f.endsWith('.js'))
		.map((file) => {
			const body = fs.readFileSync(path.join(CLIENT, file));
			return { file, bytes: body.length, gzip: gzipSync(body).length };
		});
	return {
		files,
		bytes: files.reduce((n, f) => n + f.bytes, 0),
		gzip: files.reduce((n, f) => n + f.gzip, 0),
		lazy: [...lazyFiles(manifest)]
	};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const js = firstScreenJs();
	for (const f of js.files) console.log(`  ${f.file}  ${(f.gzip / 1024).toFixed(1)} KiB gzip`);
	console.log(`First screen (/connect) JavaScript: ${(js.gzip / 1024).toFixed(1)} KiB gzip (${(js.bytes / 1024).toFixed(1)} KiB raw) in ${js.files.length} files`);
	console.log(`Loaded on demand, not on the first screen: ${js.lazy.join(', ')}`);
}
