// The installable app in WebKit: the service worker installs, and with the network gone a
// reload still shows the app from the device: the connect screen, and a signed-in person's
// own screen.
import { By, type WebDriver } from 'selenium-webdriver';
import type { StackInfo } from '../../scripts/stack/index.ts';
import type { TlsPds } from '../../scripts/stack/tls-pds.ts';
import { test, expect, byTestId, expectText, find } from './fixtures.ts';
import { startAppFront } from './app-front.ts';
import { SHOWN_HANDLE, signIn } from './sign-in-steps.ts';
import { ensurePartUp, startPart, stopPart } from '../e2e/voice-stack.ts';

/** The page's service worker registration, as "installing:… waiting:… active:… shell:yes|no" (shell: the precache holds /200.html). */
function workerStates(driver: WebDriver): Promise<string> {
	return driver.executeScript<string>(`
		const shell = caches.keys().then(async (names) => {
			const name = names.find((k) => k.startsWith('workbox-precache'));
			const keys = name ? await (await caches.open(name)).keys() : [];
			return keys.some((r) => new URL(r.url).pathname === '/200.html') ? 'yes' : 'no';
		});
		return navigator.serviceWorker.getRegistration().then(async (r) => (r ? ['installing', 'waiting', 'active'].map((k) => k + ':' + (r[k]?.state ?? '-')).join(' ') : 'no registration') + ' shell:' + (await shell));
	`);
}

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

async function offlineReload({ driver, stack, tlsPds }: { driver: WebDriver; stack: StackInfo; tlsPds: TlsPds }, firstVisit: boolean): Promise<void> {
	// The app's origin behind a front that can drop off the network (classic WebDriver has no
	// offline switch); the API server's front door, Envoy, goes down with it.
	const front = await startAppFront(stack.app);
	const status = By.css('[data-testid="directory-status"]');
	try {
		// The worker installs once she is signed in, not during the sign-in: see the first-visit
		// test below (issue 28, item 6), which is what a first-time Safari user meets. This one
		// proves the offline reload itself, so the host withholds sw.js until she is in.
		if (firstVisit) front.withhold(undefined);
		else front.withhold('/sw.js');
		const [who] = tlsPds.accounts;
		await signIn(driver, front.url, tlsPds, who!);
		await expectText(driver, status, 'Live');
		if (!firstVisit) {
			expect(await workerStates(driver)).toBe('no registration shell:no');
			front.withhold(undefined);
		}
		await driver.navigate().refresh();
		let seen = '';
		await driver.wait(async () => /active:activated.* shell:yes/.test((seen = await workerStates(driver))), 30_000).catch(() => {
			throw new Error(`the service worker never activated with its precache: ${seen}`);
		});
		await driver.navigate().refresh(); // now a page the worker controls
		await expectText(driver, status, 'Live');
		expect(await driver.executeScript('return !!navigator.serviceWorker.controller')).toBe(true);

		front.setOffline(true);
		await stopPart(stack, 'envoy');
		await expect(fetch(`${front.url}/`)).rejects.toThrow();
		await driver.navigate().refresh();
		await expectText(driver, By.css('.signed-in'), `Signed in as @${SHOWN_HANDLE}`);
		await find(driver, By.xpath('//h2[normalize-space(.) = "Voice channels"]'));
		expect(new URL(await driver.getCurrentUrl()).pathname).toBe('/');
		expect(await driver.findElements(By.xpath('//h2[normalize-space(.) = "Sign in"]'))).toHaveLength(0);
		// The server is out of reach: the screen shows the last known list (issue 26) and says
		// it is not live, instead of showing an empty list.
		await expectText(driver, status, 'Updating…', 20_000);

		front.setOffline(false);
		await startPart('envoy');
		await expectText(driver, status, 'Live', 30_000);
		await expectText(driver, By.css('.signed-in'), `Signed in as @${SHOWN_HANDLE}`);
	} finally {
		front.setOffline(false);
		await ensurePartUp('envoy');
		await front.close();
	}
}

test('signed in, a reload with the network gone shows her own screen from the device, and the list returns with it', ({ driver, stack, tlsPds }) =>
	offlineReload({ driver, stack, tlsPds }, false));

// Known to fail in WebKitGTK, so declared and not run (issue 28, item 6, still open; README
// "Browsers"): a mark that fails a whole run if WebKitGTK ever passes it would make CI depend
// on that. Her first visit as it
// happens: the worker registers on /connect and installs while she signs in through the
// popup. In 9 of 9 runs here the popup left it broken for good, two ways: the registration
// stayed "installing" (register() from later pages never resolved: it queues behind the
// stuck install), or the worker activated with its precache emptied (0 entries), and the
// offline reload failed inside it ("FetchEvent.respondWith received an error: TypeError:
// Load failed"). Neither is seen in Chromium or Firefox.
test.fixme('a first visit: the worker that installs while she signs in through the popup serves the offline reload', ({ driver, stack, tlsPds }) =>
	offlineReload({ driver, stack, tlsPds }, true));
