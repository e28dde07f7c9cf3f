// Which built files the service worker leaves out of its precache (the lazy chunks), and
// which it adds that the glob cannot see yet (the prerendered pages).
//
// The precache is the app shell: whatever SvelteKit's entry points and route nodes import
// statically, so every screen starts offline. What the app loads with import() on demand
// (the OAuth client after first paint, livekit-client when a person first joins a
// channel), and the chunks only those use, stay out: precaching them would make every
// install and update download ~850 KiB that most visits never run. The worker caches them
// at runtime instead, on first use (see runtimeCaching in vite.config.ts).
//
// Vite's client manifest (.svelte-kit/output/client/.vite/manifest.json) says which chunk
// is which; chunk file names are bare hashes, so name-based globIgnores cannot.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestTransform } from 'workbox-build';

export interface ManifestChunk {
	file: string;
	src?: string;
	isEntry?: boolean;
	isDynamicEntry?: boolean;
	imports?: string[];
	css?: string[];
}

export type ViteManifest = Record<string, ManifestChunk>;

/** SvelteKit's own generated modules (its error page template is a dynamic import too). */
function isKitGenerated(chunk: ManifestChunk): boolean {
	return chunk.src?.startsWith('.svelte-kit/') ?? false;
}

/** The files (relative to the client output) that `roots` import statically, CSS included. */
export function staticClosure(manifest: ViteManifest, roots: string[]): Set<string> {
	const files = new Set<string>();
	const seen = new Set<string>();
	const visit = (key: string) => {
		if (seen.has(key)) return;
		seen.add(key);
		const chunk = manifest[key];
		if (!chunk) return;
		files.add(chunk.file);
		for (const css of chunk.css ?? []) files.add(css);
		for (const dep of chunk.imports ?? []) visit(dep);
	};
	roots.forEach(visit);
	return files;
}

/**
 * Loaded with import() but by every start, right after the first paint: the transport
 * (connect-web, protobuf-es, the generated code; src/lib/api/rpc-loader.ts). Part of the
 * shell, so it is precached: a start offline still has it when the network comes back.
 */
const AFTER_FIRST_PAINT = ['src/lib/api/rpc.ts'];

/** Files (relative to the client output) that only import() reaches, on demand. */
export function lazyFiles(manifest: ViteManifest): Set<string> {
	const closure = (roots: string[]) => staticClosure(manifest, roots);
	const keys = Object.keys(manifest);
	const onDemand = (k: string) => {
		const c = manifest[k]!;
		return !!c.isDynamicEntry && !c.isEntry && !isKitGenerated(c) && !AFTER_FIRST_PAINT.includes(k);
	};
	const shell = closure(keys.filter((k) => !onDemand(k) && (manifest[k]!.isEntry || manifest[k]!.isDynamicEntry)));
	const lazy = closure(keys.filter(onDemand));
	for (const file of shell) lazy.delete(file);
	return lazy;
}

/**
 * A Workbox manifest transform that drops the lazy files. Entry URLs still carry the
 * "client/" prefix of @vite-pwa/sveltekit's glob directory at this point.
 */
export function leaveOutLazyChunks(clientDir: string, report: (files: string[]) => void = () => {}): ManifestTransform {
	return async (entries) => {
		const manifestFile = path.join(clientDir, '.vite', 'manifest.json');
		const lazy = lazyFiles(JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ViteManifest);
		const left: string[] = [];
		const manifest = entries.filter((entry) => {
			const file = entry.url.replace(/^client\//, '');
			if (!lazy.has(file)) return true;
			left.push(`${file} (${(entry.size / 1024).toFixed(0)} KiB)`);
			return false;
		});
		report(left);
		return { manifest, warnings: [] };
	};
}

/**
 * A Workbox manifest transform that precaches the prerendered pages (`/connect`'s form, the
 * channel list's shell at `/`, given as '' ), so the worker answers a start there with what
 * the server sends, not with the generic SPA shell. The worker is generated before SvelteKit
 * prerenders, so the pages of this build are not on disk yet: their revision is the build's
 * (SvelteKit's `_app/version.json`), as for the shell's.
 */
export function precachePrerenderedPages(clientDir: string, pages: string[]): ManifestTransform {
	return async (entries) => {
		const revision = crypto.createHash('md5').update(fs.readFileSync(path.join(clientDir, '_app', 'version.json'))).digest('hex');
		// A page left on disk by the previous build would be globbed with its old content.
		const stale = new Set(pages.map((page) => `prerendered/pages/${page || 'index'}.html`));
		const manifest = entries.filter((entry) => !stale.has(entry.url));
		return { manifest: [...manifest, ...pages.map((page) => ({ url: page || '/', revision, size: 0 }))], warnings: [] };
	};
}
