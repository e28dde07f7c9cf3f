import path from 'node:path';
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA, type SvelteKitPWAOptions } from '@vite-pwa/sveltekit';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { clientMetadataPlugin } from './scripts/client-metadata.ts';
import { leaveOutLazyChunks, precachePrerenderedPages } from './scripts/pwa/lazy-chunks.js';
import { writeStaticRoutes } from './scripts/pwa/static-routes.js';

const THEME = '#0f1720';

const pwa: SvelteKitPWAOptions = {
	strategies: 'generateSW',
	// The new worker waits until the person says "reload" (src/lib/pwa): never during a call.
	registerType: 'prompt',
	// Registered by src/lib/pwa/service-worker.svelte.ts with workbox-window.
	injectRegister: false,
	kit: { spa: true, adapterFallback: '200.html' },
	manifest: {
		id: '/',
		name: 'Microclimate',
		short_name: 'Microclimate',
		description: 'Voice channels for people on ATProto.',
		lang: 'en',
		start_url: '/',
		scope: '/',
		display: 'standalone',
		theme_color: THEME,
		background_color: THEME,
		categories: ['social', 'communication'],
		// Generated from static/favicon.svg by pwa-assets.config.ts.
		icons: [
			{ src: '/pwa-192x192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
			{ src: '/pwa-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
			{ src: '/maskable-icon-192x192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
			{ src: '/maskable-icon-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
		]
	},
	workbox: {
		globPatterns: ['client/**/*.{js,css,ico,png,svg,webmanifest}'],
		// Static routes for the precached immutable files, added when the worker installs
		// (sw-routes.js, written by scripts/pwa/static-routes.ts).
		importScripts: ['/sw-routes.js'],
		cleanupOutdatedCaches: true,
		// Navigations the SPA must not answer: files a person or an OAuth server may open.
		// /oauth/callback is an app route and gets the app shell like every other screen.
		navigateFallbackDenylist: [/^\/\.well-known\//, /^\/client-metadata\.json$/, /^\/sw\.js$/, /^\/sw-routes\.js$/, /^\/workbox-/],
		// Only the app's own hashed chunks are cached at runtime (the lazy ones, on first use).
		// No route matches another origin, so gRPC-Web, the OAuth servers and LiveKit always
		// go to the network untouched.
		runtimeCaching: [
			{
				urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/_app/immutable/'),
				handler: 'CacheFirst',
				options: {
					cacheName: 'microclimate-lazy-chunks',
					expiration: { maxEntries: 40, maxAgeSeconds: 60 * 60 * 24 * 30 },
					cacheableResponse: { statuses: [200] }
				}
			}
		]
	}
};

/**
 * @vite-pwa/sveltekit installs its own manifest transform (the URL mapping of SvelteKit's
 * output) only when none is configured, so ours is put in front of it once the plugin
 * has configured itself (its configResolved), before the worker is generated.
 */
function precacheShellOnly(options: SvelteKitPWAOptions): Plugin {
	return {
		name: 'microclimate:precache-shell-only',
		apply: 'build',
		buildStart() {
			const transforms = options.workbox?.manifestTransforms;
			if (!transforms || transforms.some((t) => t.name === 'leaveOutLazyChunksTransform')) return;
			const clientDir = path.resolve('.svelte-kit/output/client');
			const transform = leaveOutLazyChunks(clientDir, (files) => {
				if (files.length) console.log(`[pwa] not precached (loaded on demand): ${files.join(', ')}`);
			});
			Object.defineProperty(transform, 'name', { value: 'leaveOutLazyChunksTransform' });
			transforms.unshift(transform, precachePrerenderedPages(clientDir, ['connect', '']), writeStaticRoutes(clientDir));
		}
	};
}

export default defineConfig({
	plugins: [sveltekit(), clientMetadataPlugin(), SvelteKitPWA(pwa), precacheShellOnly(pwa)],
	server: { host: '127.0.0.1', port: 5173, strictPort: true },
	preview: { host: '127.0.0.1', port: 4173, strictPort: true },
	test: {
		include: ['src/**/*.spec.ts', 'server/**/*.spec.ts', 'scripts/**/*.spec.ts', 'tests/contract/**/*.spec.ts', 'tests/unit/**/*.spec.ts', 'bench/**/*.spec.ts'],
		environment: 'node',
		// One real redis-server for the specs that run against the Redis store.
		globalSetup: ['tests/unit/redis-global-setup.ts'],
		expect: { requireAssertions: true },
		testTimeout: 30_000
	}
});
