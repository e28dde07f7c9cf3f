// What each screen makes a browser download before it shows: SvelteKit's entries, the
// route's layout and page nodes, and everything they import statically, read from Vite's
// client manifest of the last build (gzip sizes). What only import() reaches (the OAuth
// client, livekit-client) loads later, on demand, and is not counted.
// Used by the PWA tests, the voice tests and `npm run bench`.
// Run: `npx tsx scripts/pwa/first-screen-js.ts`.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { lazyFiles, staticClosure, type ViteManifest } from './lazy-chunks.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, '.svelte-kit/output/client');

export interface FirstScreenJs {
	route: string;
	files: { file: string; bytes: number; gzip: number }[];
	bytes: number;
	gzip: number;
	cssGzip: number;
	/** Files only import() reaches (the OAuth client, LiveKit), none of them in `files`. */
	lazy: string[];
}

function manifest(): ViteManifest {
	return JSON.parse(fs.readFileSync(path.join(CLIENT, '.vite/manifest.json'), 'utf8')) as ViteManifest;
}

/** Route -> its node modules (root layout, layouts, page), from SvelteKit's generated app.js. */
export function routeNodes(): Record<string, string[]> {
	const appJs = fs.readFileSync(path.join(ROOT, '.svelte-kit/generated/client-optimized/app.js'), 'utf8');
	const body = /export const dictionary = (\{[\s\S]*?\});/.exec(appJs)?.[1];
	if (!body) throw new Error('SvelteKit route dictionary not found in .svelte-kit/generated/client-optimized/app.js');
	const raw = JSON.parse(body.replace(/,\s*}/, '}')) as Record<string, [number, number[]?]>;
	const node = (n: number) => `.svelte-kit/generated/client-optimized/nodes/${Math.abs(n)}.js`;
	return Object.fromEntries(Object.entries(raw).map(([route, [page, layouts = []]]) => [route, [node(0), ...layouts.map(node), node(page)]]));
}

const gzip = (file: string) => gzipSync(fs.readFileSync(path.join(CLIENT, file)), { level: 9 }).length;

export function firstScreenJs(route = '/connect'): FirstScreenJs {
	const m = manifest();
	const nodes = routeNodes()[route];
	if (!nodes) throw new Error(`No route ${route} in the build`);
	const entries = Object.keys(m).filter((k) => m[k]!.isEntry && !(m[k]!.src ?? '').includes('/nodes/'));
	const all = [...staticClosure(m, [...entries, ...nodes])];
	const files = all
		.filter((f) => f.endsWith('.js'))
		.map((file) => ({ file, bytes: fs.statSync(path.join(CLIENT, file)).size, gzip: gzip(file) }));
	return {
		route,
		files,
		bytes: files.reduce((n, f) => n + f.bytes, 0),
		gzip: files.reduce((n, f) => n + f.gzip, 0),
		cssGzip: all.filter((f) => f.endsWith('.css')).reduce((n, f) => n + gzip(f), 0),
		lazy: [...lazyFiles(m)]
	};
}

/**
 * The built chunk of a module loaded with import() — named by part of its source path, e.g.
 * "livekit-engine" (the call engine, with livekit-client inside) — and its gzip size.
 */
export function lazyChunk(sourcePart: string): { file: string; gzip: number } | undefined {
	const m = manifest();
	const key = Object.keys(m).find((k) => m[k]!.isDynamicEntry && k.includes(sourcePart));
	return key ? { file: m[key]!.file, gzip: gzip(m[key]!.file) } : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	for (const route of Object.keys(routeNodes())) {
		const js = firstScreenJs(route);
		console.log(`${route}: ${(js.gzip / 1024).toFixed(1)} KiB gzip JS (${(js.bytes / 1024).toFixed(1)} KiB raw) in ${js.files.length} files, CSS ${(js.cssGzip / 1024).toFixed(1)} KiB`);
	}
	console.log(`Loaded on demand, not on any first screen: ${firstScreenJs().lazy.join(', ')}`);
}
