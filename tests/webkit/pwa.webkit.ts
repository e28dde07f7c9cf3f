// The installable app in WebKit: the service worker installs, and with the app's origin
// unreachable a reload still shows the app from the device.
import { By } from 'selenium-webdriver';
import { test, expect, byTestId, find } from './fixtures.ts';
import { startAppFront } from './app-front.ts';

test('the service worker installs, precaches the shell, and an unreachable origin still reloads the app', async ({ driver, stack }) => {
	const front = await startAppFront(stack.app);
	try {
		await driver.get(`${front.url}/connect`);
		await find(driver, byTestId('server-status'));
		const precached = await driver.executeAsyncScript<string[]>(`
			const done = arguments[arguments.length - 1];
			(async () => {
				const registration = await navigator.serviceWorker.ready;
				const worker = registration.active;
				if (worker.state !== 'activated') {
					await new Promise((r) => worker.addEventListener('statechange', () => worker.state === 'activated' && r()));
				}
				const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'));
				const keys = name ? await (await caches.open(name)).keys() : [];
				done(keys.map((r) => new URL(r.url).pathname));
			})().catch((e) => done(['error: ' + e]));
		`);
		expect(precached).toContain('/manifest.webmanifest');
		expect(precached.some((p) => p.endsWith('.js'))).toBe(true);

		front.setOffline(true);
		// Prove the origin is really gone before trusting the reload.
		await expect(fetch(`${front.url}/connect`)).rejects.toThrow();
		await driver.navigate().refresh();
		const heading = await find(driver, By.xpath('//h2[normalize-space(.) = "Sign in"]'));
		expect(await heading.isDisplayed()).toBe(true);
		expect(await driver.executeScript('return !!navigator.serviceWorker.controller')).toBe(true);
	} finally {
		await front.close();
	}
});
