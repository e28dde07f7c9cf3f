// The service worker's static routes (Chromium's InstallEvent.addRoutes), written at build
// time as sw-routes.js, which the generated worker imports (vite.config.ts, importScripts).
//
// The app's precached immutable files are answered straight from Cache Storage, without
// waking the worker's JavaScript for each of the ~30 a start loads. Only those files: a
// static route's "cache" source answers a miss from the network, past the worker, so a
// route over all of `/_app/immutable/` kept the lazy chunks (the OAuth client, LiveKit) out
// of the worker's runtime cache, and they never loaded offline. Those go to the worker, whose
// CacheFirst route keeps them on first use. The list is this build's precache: it cannot be
// a pattern, as chunk names are bare hashes (lazy-chunks.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestTransform } from 'workbox-build';

export const STATIC_ROUTES_FILE = 'sw-routes.js';

/** The script that adds one static route for exactly these paths (each `/_app/immutable/…`). */
export function staticRoutesScript(paths: string[]): string {
	const conditions = paths.map((pathname) => ({ urlPattern: { pathname } }));
	return `// Generated at build time by scripts/pwa/static-routes.ts: static routes for the precached immutable files.
self.addEventListener('install', (event) => {
	if (typeof event.addRoutes !== 'function') return;
	const conditions = ${JSON.stringify(conditions)};
	if (!conditions.length) return;
	event.waitUntil(
		event.addRoutes([{ condition: { or: conditions }, source: 'cache' }]).catch((err) => {
			console.warn('static routes not added; the worker answers every request', err);
		})
	);
});
`;
}

/**
 * A Workbox manifest transform that changes nothing in the manifest and writes sw-routes.js
 * for its immutable files into the client output (copied to the site after the worker is
 * generated). Put it after the transforms that drop entries. Entry URLs may still carry
 * the "client/" prefix of @vite-pwa/sveltekit's glob directory.
 */
export function writeStaticRoutes(clientDir: string): ManifestTransform {
	return async (entries) => {
		const immutable = entries
			.map((entry) => `/${entry.url.replace(/^client\//, '')}`)
			.filter((pathname) => pathname.startsWith('/_app/immutable/'))
			.sort();
		fs.writeFileSync(path.join(clientDir, STATIC_ROUTES_FILE), staticRoutesScript(immutable));
		return { manifest: entries, warnings: [] };
	};
}
