// Imported by the generated service worker (vite.config.ts, workbox.importScripts).
// Service-worker static routing (Chromium): the app's hashed, immutable files are answered
// straight from Cache Storage, where the precache and the lazy-chunk cache keep them, without
// waking the worker's JavaScript for each of the ~30 a start loads; one that is in no cache
// yet goes to the network. Browsers without addRoutes use the worker's own routes, which
// answer the same files from the same caches.
self.addEventListener('install', (event) => {
	if (typeof event.addRoutes !== 'function') return;
	event.waitUntil(
		event.addRoutes([{ condition: { urlPattern: { pathname: '/_app/immutable/*' } }, source: 'cache' }]).catch((err) => {
			console.warn('static routes not added; the worker answers every request', err);
		})
	);
});
