// The first screen on a slow phone: /connect is prerendered HTML + CSS, so it paints before
// any JavaScript has arrived, and the OAuth client (~60 KB gzip) waits until after that
// paint. A click on "Sign in" before the client has arrived must still open the popup
// inside the click, where browsers allow it.
import type { Page, Route } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, passPdsSignIn } from './sign-in.ts';
import { lazyChunk } from '../../scripts/pwa/first-screen-js.ts';

const SCRIPTS = /\/_app\/immutable\/.+\.js$/;

function oauthChunk(): RegExp {
	const chunk = lazyChunk('oauth-client-browser');
	if (!chunk) throw new Error('The build has no lazily loaded OAuth client chunk');
	return new RegExp(`/${chunk.file.replace(/[.]/g, '\\.')}$`);
}

/** Holds matching requests until release(): the network is slow for exactly those. */
async function hold(page: Page, url: RegExp): Promise<{ held: () => number; release: () => Promise<void> }> {
	const waiting: Route[] = [];
	let holding = true;
	let seen = 0;
	await page.route(url, (route) => {
		seen++;
		if (holding) waiting.push(route);
		else void route.continue();
	});
	return {
		held: () => seen,
		release: async () => {
			holding = false;
			for (const route of waiting.splice(0)) await route.continue();
		}
	};
}

/** Every window.open the page makes: its URL, and the event being dispatched at the time. */
async function recordWindowOpens(page: Page): Promise<() => Promise<{ url: string; during?: string }[]>> {
	await page.addInitScript(() => {
		const opens: { url: string; during?: string }[] = [];
		const open = window.open.bind(window);
		Object.assign(window, { __opens: opens });
		window.open = (url?: string | URL, ...rest: [string?, string?]) => {
			opens.push({ url: String(url), during: window.event?.type });
			return open(url, ...rest);
		};
	});
	return () => page.evaluate(() => (window as unknown as { __opens: { url: string; during?: string }[] }).__opens);
}

test.use({ serviceWorkers: 'block' });

test('/connect paints its heading and form before any JavaScript runs, then hydrates', async ({ page, stack }) => {
	const scripts = await hold(page, SCRIPTS);
	await page.goto('/connect', { waitUntil: 'commit' });
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Microclimate' })).toBeVisible();
	await expect(page.getByLabel('Handle')).toBeVisible();
	await expect(page.getByLabel('Server')).toHaveValue(stack.server);
	// Laid out by the page's own stylesheet (no inline styles: the CSP allows none).
	expect(await page.locator('main').evaluate((e) => getComputedStyle(e).maxWidth)).toBe('448px');
	// The page asked for its scripts and none has arrived: what shows came without them.
	expect(scripts.held()).toBeGreaterThan(0);
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
	expect(await page.evaluate(() => document.querySelectorAll('[data-testid="server-name"]').length)).toBe(0);

	await scripts.release();
	await expect(page.getByTestId('server-name')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
});

test('what she types before the JavaScript has arrived is kept when the page hydrates', async ({ page, pageErrors }) => {
	pageErrors.expectFailedRequest(/http:\/\/127\.0\.0\.1:9\/[^)]*/);
	const scripts = await hold(page, SCRIPTS);
	await page.goto('/connect', { waitUntil: 'commit' });
	await page.getByLabel('Server').fill('http://127.0.0.1:9');
	await page.getByLabel('Handle').fill('alice.test');
	await scripts.release();
	// Hydrated: the app checks the server in the field, hers, not the default one.
	await expect(page.getByTestId('server-status')).toHaveText("Can't reach 127.0.0.1:9. Check the address and your connection.");
	await expect(page.getByLabel('Server')).toHaveValue('http://127.0.0.1:9');
	await expect(page.getByLabel('Handle')).toHaveValue('alice.test');
});

test('the OAuth client is fetched after the first paint, not with the first screen', async ({ page }) => {
	const oauth = oauthChunk();
	await page.goto('/connect');
	await expect(page.getByTestId('server-name')).toBeVisible();
	const timing = await page.waitForFunction((source) => {
		const url = new RegExp(source);
		const chunk = performance.getEntriesByType('resource').find((e) => url.test(e.name));
		const paint = performance.getEntriesByName('first-contentful-paint')[0];
		return chunk && paint ? { chunk: chunk.startTime, paint: paint.startTime } : undefined;
	}, oauth.source);
	const { chunk, paint } = (await timing.jsonValue())!;
	expect(chunk).toBeGreaterThan(paint);
});

test('on a page that is never idle, focusing the handle field fetches the OAuth client', async ({ page }) => {
	// A busy page: idle callbacks never come.
	await page.addInitScript(() => Object.assign(window, { requestIdleCallback: () => 0, cancelIdleCallback: () => {} }));
	const oauth = oauthChunk();
	let fetched = 0;
	page.on('request', (r) => void (oauth.test(r.url()) && fetched++));
	await page.goto('/connect');
	await expect(page.getByTestId('server-name')).toBeVisible();
	await page.waitForTimeout(2500);
	expect(fetched).toBe(0);
	await page.getByLabel('Handle').focus();
	await expect.poll(() => fetched).toBe(1);
});

test('"Sign in" clicked before the OAuth client has arrived opens the popup inside the click, and signs in', async ({ page, stack }) => {
	const alice = account(stack, 'alice.test');
	const opens = await recordWindowOpens(page);
	const client = await hold(page, oauthChunk());
	await page.goto('/connect');
	await expect(page.getByTestId('server-name')).toBeVisible();
	await page.getByLabel('Handle').fill(alice.handle);
	await expect.poll(() => client.held()).toBe(1);

	let popups = 0;
	page.on('popup', () => popups++);
	const popupEvent = page.waitForEvent('popup');
	await page.getByRole('button', { name: 'Sign in' }).click();
	const popup = await popupEvent;
	// Opened while the client was still on its way, by the click's own handler.
	expect((await opens())[0]).toEqual({ url: 'about:blank', during: 'submit' });
	await expect(page.getByText(`Approve the sign-in for @${alice.handle} in the window that opened.`)).toBeVisible();

	await client.release();
	await popup.waitForURL((url) => url.origin === new URL(stack.pds).origin);
	await passPdsSignIn(popup, alice);
	await popup.getByRole('button', { name: 'Authorize' }).click();
	await expect(page.getByText(`Signed in as @${alice.handle}`)).toBeVisible();
	// The library navigated that same window once it had loaded: no second popup.
	expect(popups).toBe(1);
});
