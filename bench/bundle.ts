// First-screen JS and CSS per route, from the build: the entry chunks, the route's layout
// and page nodes, and everything they import statically. Dynamic imports (livekit-client,
// the OAuth client) are excluded: they load later, on demand.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Row } from './report.ts';

interface ManifestEntry {
	file: string;
	imports?: string[];
	css?: string[];
	isEntry?: boolean;
}

export interface RouteSize {
	route: string;
	jsGzip: number;
	cssGzip: number;
	files: string[];
}

export function firstScreenSizes(root: string): RouteSize[] {
	const client = path.join(root, '.svelte-kit/output/client');
	const manifest = JSON.parse(fs.readFileSync(path.join(client, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestEntry>;
	const appJs = fs.readFileSync(path.join(root, '.svelte-kit/generated/client-optimized/app.js'), 'utf8');
	const dictionary = parseDictionary(appJs);
	const entries = ['node_modules/@sveltejs/kit/src/runtime/client/entry.js', '.svelte-kit/generated/client-optimized/app.js'];
	return Object.entries(dictionary).map(([route, [page, layouts]]) => {
		const nodes = [0, ...layouts, page].map((n) => `.svelte-kit/generated/client-optimized/nodes/${n}.js`);
		const js = new Set<string>();
		const css = new Set<string>();
		const visit = (key: string) => {
			const entry = manifest[key];
			if (!entry || js.has(entry.file)) return;
			js.add(entry.file);
			for (const c of entry.css ?? []) css.add(c);
			for (const i of entry.imports ?? []) visit(i);
		};
		for (const key of [...entries, ...nodes]) visit(key);
		const gz = (f: string) => gzipSync(fs.readFileSync(path.join(client, f)), { level: 9 }).length;
		return {
			route,
			jsGzip: [...js].reduce((sum, f) => sum + gz(f), 0),
			cssGzip: [...css].reduce((sum, f) => sum + gz(f), 0),
			files: [...js]
		};
	});
}

/** The gzip size of the lazily loaded chunk whose manifest key contains `name`. */
export function lazyChunkGzip(root: string, name: string): number | undefined {
	const client = path.join(root, '.svelte-kit/output/client');
	const manifest = JSON.parse(fs.readFileSync(path.join(client, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestEntry>;
	const key = Object.keys(manifest).find((k) => k.includes(name));
	if (!key) return undefined;
	return gzipSync(fs.readFileSync(path.join(client, manifest[key]!.file)), { level: 9 }).length;
}

/** Parses `dictionary = { "/route": [page, [layouts]] }` from SvelteKit's generated app.js. */
function parseDictionary(appJs: string): Record<string, [number, number[]]> {
	const body = /export const dictionary = (\{[\s\S]*?\});/.exec(appJs)?.[1];
	if (!body) throw new Error('SvelteKit route dictionary not found in app.js');
	const json = body.replace(/,\s*}/, '}');
	const raw = JSON.parse(json) as Record<string, [number, number[]?]>;
	return Object.fromEntries(Object.entries(raw).map(([r, [p, l]]) => [r, [p, (l ?? []).map((n) => Math.abs(n))]]));
}

export function bundleRows(root: string): Row[] {
	const rows: Row[] = firstScreenSizes(root).map((r) => ({
		figure: `first-screen JS, route ${r.route}`,
		unit: 'KB',
		value: r.jsGzip / 1024,
		goal: '<= 80 KB',
		note: `+ CSS ${(r.cssGzip / 1024).toFixed(1)} KB, ${r.files.length} files, gzip -9`
	}));
	for (const [label, name] of [['livekit-client chunk (lazy)', 'livekit-client'], ['OAuth client chunk (lazy)', 'oauth-client-browser']] as const) {
		const size = lazyChunkGzip(root, name);
		if (size !== undefined) rows.push({ figure: label, unit: 'KB', value: size / 1024, note: 'loaded on demand' });
	}
	return rows;
}
