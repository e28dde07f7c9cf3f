// Issue 26, items 2 and 4: a returning, signed-in person sees her channels and the people last
// seen in them at once, marked as not live, even when the API (Envoy) is down; once it is up
// the live list replaces them in place, and a Join tapped meanwhile happens then. Sign-out
// deletes the last known list with the session. The whole stack is real; Envoy is stopped
// and started through the stack's control socket.
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { escapeRegExp } from './page-errors.ts';
import { account, signIn } from './sign-in.ts';
import { ensurePartUp, startPart, stopPart } from './voice-stack.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const card = (page: Page, id: string) => page.locator(`[data-channel="${id}"]`);
const listStatus = (page: Page) => page.getByTestId('directory-status');
const callStatus = (page: Page) => page.getByTestId('call-status');

/** The last known list as stored in the app's IndexedDB (undefined when none). */
function storedLastKnown(page: Page): Promise<unknown> {
	return page.evaluate(
		() =>
			new Promise<unknown>((resolve, reject) => {
				const open = indexedDB.open('microclimate');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const get = open.result.transaction('app').objectStore('app').get('last-known-channels');
					get.onsuccess = () => resolve(get.result);
					get.onerror = () => reject(get.error);
				};
			})
	);
}

test.describe('the last known channel list', () => {
	let context: BrowserContext;
	let page: Page;

	test.afterEach(async () => {
		await ensurePartUp('envoy');
		await context?.close();
	});

	test('a signed-in reload with the API down shows the last known channels and people, not live; then the live list, and the queued join', async ({ browser, stack, pageErrors }, info) => {
		test.setTimeout(150_000);
		const alice = account(stack, 'alice.test');
		context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: PHONE });
		page = await context.newPage();
		await signIn(page, alice);

		// Alice in Lobby: the live list shows her there, and that list is kept.
		await card(page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
		await expect(callStatus(page)).toHaveText('Connected', { timeout: 30_000 });
		await expect(card(page, 'lobby').locator('.person', { hasText: '@alice.test' })).toBeVisible();
		await expect
			.poll(async () => JSON.stringify(await storedLastKnown(page)), { timeout: 10_000 })
			.toMatch(/"id":"lobby","name":"Lobby","people":\[\{"did":"did:[^"]+","handle":"alice\.test"/);
		expect(JSON.stringify(await storedLastKnown(page))).not.toMatch(/token|jwt/i);

		// The API down, then a reload (which leaves the call): the last known list, not live.
		pageErrors.expectFailedRequest(new RegExp(`${escapeRegExp(stack.server)}/.*`));
		await stopPart(stack, 'envoy');
		await page.reload();
		await expect(listStatus(page)).toHaveText('Updating…');
		await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'last-known');
		await expect(card(page, 'lobby').locator('.person', { hasText: '@alice.test' })).toBeVisible();
		await expect(card(page, 'music')).toBeVisible();
		await page.screenshot({ path: info.outputPath('last-known-phone.png'), fullPage: true });
		await page.setViewportSize(DESKTOP);
		await page.screenshot({ path: info.outputPath('last-known-desktop.png'), fullPage: true });
		await page.setViewportSize(PHONE);

		// A Join tapped now waits for the live list, and says so; nothing connects yet.
		const music = card(page, 'music').getByRole('button', { name: /Music/ });
		await music.click();
		await expect(music).toContainText('Joining when live…');
		await expect(callStatus(page)).toHaveCount(0);
		// Still not live a while later: the list does not claim to be.
		await page.waitForTimeout(2_000);
		await expect(listStatus(page)).toHaveText('Updating…');

		// The API back: the live list replaces the last known one (Alice left Lobby with the
		// reload), and the queued join happens.
		await startPart('envoy');
		await expect(listStatus(page)).toHaveText('Live', { timeout: 60_000 });
		await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'stream');
		await expect(callStatus(page)).toHaveText('Connected', { timeout: 30_000 });
		await expect(card(page, 'music').locator('.person', { hasText: '@alice.test' })).toBeVisible();
		await expect(card(page, 'lobby').locator('.person', { hasText: '@alice.test' })).toHaveCount(0);
		await page.screenshot({ path: info.outputPath('live-phone.png'), fullPage: true });

		// Sign-out deletes the last known list with the session.
		await page.goto('/settings');
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/connect/);
		await expect.poll(() => storedLastKnown(page)).toBeUndefined();
	});
});
