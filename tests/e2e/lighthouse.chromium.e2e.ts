// Chromium only (the Firefox project ignores *.chromium.e2e.ts): Lighthouse drives Chromium
// over the DevTools protocol, and "installable" is Chromium's own verdict, asked over CDP
// (Page.getInstallabilityErrors); Firefox has neither. What Firefox gets instead is in
// manifest.e2e.ts: the manifest and its icons as any browser reads them.
import { test, expect } from './fixtures.ts';
import { account, passPdsSignIn } from './sign-in.ts';
import { activeWorkerPrecache } from './service-worker.ts';

test('Lighthouse (mobile) scores /connect and the signed-in screen; Chromium finds the app installable', async ({ stack }) => {
	test.setTimeout(300_000);
	const { launchChromium, audit, describeScores } = await import('../../scripts/pwa/lighthouse.ts');
	const { chromium } = await import('@playwright/test');
	const chrome = await launchChromium();
	try {
		const connect = await audit(`${stack.app}/connect`, chrome.port);
		console.log(describeScores('/connect', connect));

		// Sign in inside the same browser (driven over CDP), then audit with storage kept.
		const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
		const context = browser.contexts()[0]!;
		const page = await context.newPage();
		const alice = account(stack, 'alice.test');
		await page.goto(`${stack.app}/connect`);
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
		await page.getByLabel('Handle').fill(alice.handle);
		const popupEvent = page.waitForEvent('popup');
		await page.getByRole('button', { name: 'Sign in' }).click();
		const popup = await popupEvent;
		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Authorize' }).click();
		await expect(page.getByText('Lobby')).toBeVisible();
		await activeWorkerPrecache(page);

		// Lighthouse 13 has no PWA category or installability audit any more: ask Chromium
		// the question its old "installable-manifest" audit asked.
		const cdp = await context.newCDPSession(page);
		const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] };
		expect(installabilityErrors).toEqual([]);
		const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] };
		expect(manifest.url).toBe(`${stack.app}/manifest.webmanifest`);
		expect(manifest.errors).toEqual([]);

		const signedIn = await audit(`${stack.app}/`, chrome.port, { keepStorage: true });
		console.log(describeScores('signed-in screen', signedIn));
		await browser.close();
		for (const s of [connect, signedIn]) {
			expect(s.accessibility).toBeGreaterThanOrEqual(90);
			expect(s.bestPractices).toBeGreaterThanOrEqual(90);
		}
	} finally {
		chrome.kill();
	}
});
