// After a new version is deployed, an open tab of the old one may find its lazy chunks
// gone from the host. Played here by answering the chunk's real URL (from the build's
// manifest) with 404: the tab must offer "Reload to update", and a call engine that cannot
// load is a final error with a message, never an endless "Retrying…".
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { lazyChunk } from '../../scripts/pwa/first-screen-js.ts';

function chunkUrl(sourcePart: string): RegExp {
	const chunk = lazyChunk(sourcePart);
	if (!chunk) throw new Error(`The build has no lazily loaded chunk for ${sourcePart}`);
	return new RegExp(`/${chunk.file.replace(/[.]/g, '\\.')}$`);
}

/** Removes the chunk from the "host", as a deploy that dropped the old build would. */
async function dropChunk(context: BrowserContext, url: RegExp): Promise<void> {
	await context.route(url, (route) => route.fulfill({ status: 404, body: 'Not found' }));
}

function tokenRequests(page: Page): () => number {
	let n = 0;
	page.on('request', (r) => void (r.url().endsWith('.ChannelsService/GetChannelToken') && n++));
	return () => n;
}

// Without a service worker the page fetches every chunk itself, in every browser, so the
// route sees it; the update prompt and its reload work the same.
test.use({ serviceWorkers: 'block', permissions: ['microphone'] });

test.describe('after a new version is deployed', () => {
	test('a call engine chunk that is gone: a final message and "Reload to update", no retries; the reload brings calls back', async ({ page, context, stack, pageErrors }) => {
		const engine = chunkUrl('livekit-engine');
		pageErrors.expectFailedRequest(new RegExp(`http://[^)]*${engine.source.replace(/\$$/, '')}`));
		await signIn(page, account(stack, 'alice.test'));
		const tokens = tokenRequests(page);
		await dropChunk(context, engine);

		await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
		await expect(page.getByRole('alert')).toHaveText('Calls can’t start: this version of Microclimate is out of date. Reload to update.');
		await expect(page.getByRole('button', { name: 'Reload to update' })).toBeVisible();
		await page.waitForTimeout(3000);
		expect(tokens()).toBe(1);
		await expect(page.getByText('Retrying')).toHaveCount(0);
		await expect(page.getByTestId('call-status')).toHaveCount(0);

		// The new version is on the host now: the reload loads it and calls work again.
		await context.unroute(engine);
		await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload to update' }).click()]);
		await expect(page.getByRole('button', { name: 'Reload to update' })).toHaveCount(0);
		await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
		await expect(page.getByTestId('call-status')).toHaveText('Connected');
		await page.getByRole('button', { name: 'Leave channel' }).click();
	});

	test('an OAuth client chunk that is gone: the sign-in screen offers "Reload to update", and the reload signs in', async ({ page, context, stack, pageErrors }) => {
		const oauth = chunkUrl('oauth-client-browser');
		pageErrors.expectFailedRequest(new RegExp(`http://[^)]*${oauth.source.replace(/\$$/, '')}`));
		await dropChunk(context, oauth);
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Handle').fill('alice.test');
		// The screen loads the client ahead of the tap; its failure is said at once.
		await expect(page.getByRole('button', { name: 'Reload to update' })).toBeVisible();
		await expect(page.getByRole('alert')).toContainText('Sign-in could not load');

		await context.unroute(oauth);
		await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload to update' }).click()]);
		await expect(page.getByRole('button', { name: 'Reload to update' })).toHaveCount(0);
		await signIn(page, account(stack, 'alice.test'));
	});
});
