// The app's service worker as a test waits for it (shared by the PWA and Lighthouse tests).
import type { Page } from '@playwright/test';

/** Waits until the page's service worker is active; returns what its precache holds. */
export async function activeWorkerPrecache(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const registration = await navigator.serviceWorker.ready;
		if (registration.active?.state !== 'activated') {
			await new Promise<void>((resolve) =>
				registration.active!.addEventListener('statechange', function wait(this: ServiceWorker) {
					if (this.state === 'activated') resolve();
				})
			);
		}
		const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'));
		if (!name) return [];
		const requests = await (await caches.open(name)).keys();
		return requests.map((r) => new URL(r.url).pathname);
	});
}
