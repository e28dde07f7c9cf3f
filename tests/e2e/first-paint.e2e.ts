// The first screen on a slow phone: /connect is prerendered HTML + CSS, so it paints before
// any JavaScript has arrived.
import type { Page, Route } from '@playwright/test';
import { test, expect } from './fixtures.ts';

const SCRIPTS = /\/_app\/immutable\/.+\.js$/;

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
