// Faces and links against the real stack: the demo accounts' profiles (display name and
// avatar, written on the local PDS by the orchestrator) reach other people through the API
// server; shared server and channel links open the app there, and bad ones change nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, openSignInPopup, passPdsSignIn, signIn, signInByRedirect } from './sign-in.ts';
import { setProfile } from '../../scripts/stack/demo-profiles.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

// Read here, not through the `stack` fixture: the people are set up in beforeAll.
const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'faces');
const serverHost = new URL(stack.server).host;

const card = (page: Page, id: string) => page.locator(`[data-channel="${id}"]`);
const row = (page: Page, id: string, handle: string) => card(page, id).locator('.person', { hasText: `@${handle}` });

/** True once the avatar image in `where` has loaded (a broken image has no natural width). */
async function avatarLoaded(where: Locator): Promise<boolean> {
	return where.locator('[data-testid="avatar"] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
}

/**
 * Screenshots to look at (test-results/faces/), at phone (390x844) and desktop (1280x800)
 * sizes. Chromium's are enough to look at (Firefox's screenshots are slower over BiDi; the
 * style Playwright injects for them is recognised by the shared page-error check).
 */
async function shoot(page: Page, name: string): Promise<void> {
	if (test.info().project.name === 'firefox') return;
	const size = page.viewportSize();
	for (const [form, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
		await page.setViewportSize(viewport);
		await page.screenshot({ path: join(SHOTS, `${name}-${form}.png`) });
	}
	if (size) await page.setViewportSize(size);
}

async function person(browser: Browser, handle: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport });
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return { context, page };
}

test.describe.configure({ mode: 'serial' });

test.describe('faces', () => {
	test("a demo account's avatar and display name appear in another person's list and call", async ({ browser }) => {
		test.setTimeout(90_000);
		const alice = await person(browser, 'alice.test');
		const bob = await person(browser, 'bob.test', { width: 390, height: 844 });
		try {
			// Her own account card: her face.
			await expect(alice.page.getByTestId('account-name')).toHaveText('Alice Liddell');
			await expect.poll(() => avatarLoaded(alice.page.getByRole('region', { name: 'Account' }))).toBe(true);

			await card(alice.page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
			await expect(alice.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 20_000 });

			// Bob's list: her display name, her handle beside it, her avatar.
			const inList = row(bob.page, 'lobby', 'alice.test');
			await expect(inList.getByTestId('display-name')).toHaveText('Alice Liddell');
			await expect.poll(() => avatarLoaded(inList)).toBe(true);
			await shoot(bob.page, 'list');

			// In the call with her: the same face (LiveKit only knows her handle).
			await card(bob.page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
			await expect(bob.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 20_000 });
			const inCall = row(bob.page, 'lobby', 'alice.test');
			await expect(inCall.getByRole('button', { name: 'Volume for @alice.test' })).toBeVisible();
			await expect(inCall.getByTestId('display-name')).toHaveText('Alice Liddell');
			await expect.poll(() => avatarLoaded(inCall)).toBe(true);
			await expect(row(bob.page, 'lobby', 'bob.test').getByTestId('display-name')).toHaveText('Bob Builder');
			await shoot(bob.page, 'call');
			await shoot(alice.page, 'account');
		} finally {
			await alice.context.close();
			await bob.context.close();
		}
	});

	test('a changed display name shows after the next session', async ({ browser }) => {
		const bobAccount = account(stack, 'bob.test');
		await setProfile(stack.pds, bobAccount, { displayName: 'Robert Builder' });
		try {
			const bob = await person(browser, 'bob.test');
			try {
				await expect(bob.page.getByTestId('account-name')).toHaveText('Robert Builder');
			} finally {
				await bob.context.close();
			}
		} finally {
			await setProfile(stack.pds, bobAccount, { displayName: 'Bob Builder' });
		}
	});
});

test.describe('links', () => {
	test('a server link opens /connect pre-filled and checked', async ({ page }) => {
		await page.goto(`/?server=${encodeURIComponent(serverHost)}`);
		await expect(page).toHaveURL(/\/connect\?server=/);
		await expect(page.getByLabel('Server')).toHaveValue(stack.server);
		await expect(page.getByTestId('server-name')).toBeVisible();
		await expect(page.getByTestId('link-notice')).toContainText(`You opened a link to ${serverHost}`);
	});

	test('a channel link after sign-in highlights the channel and joins on one tap', async ({ browser }) => {
		test.setTimeout(60_000);
		const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'] });
		try {
			const page = await context.newPage();
			const alice = account(stack, 'alice.test');
			const popup = await openSignInPopup(page, alice.handle, `/?server=${encodeURIComponent(serverHost)}&channel=music`);
			await passPdsSignIn(popup, alice);
			await popup.getByRole('button', { name: 'Authorize' }).click();

			await expect(card(page, 'music')).toHaveAttribute('data-shared', 'true');
			await expect(page.getByTestId('link-banner')).toContainText('“Music” was shared with you.');
			// Never joined by itself.
			await expect(page.getByTestId('call-status')).toHaveCount(0);
			await page.getByRole('button', { name: 'Join Music' }).click();
			await expect(page.getByTestId('call-status')).toHaveText('Connected', { timeout: 20_000 });
			await expect(card(page, 'music').locator('.action')).toHaveText('You are here');
			await expect(page).toHaveURL(/\/$/);
		} finally {
			await context.close();
		}
	});

	test('a channel link survives the redirect sign-in (kept with the pending login)', async ({ page }) => {
		await page.addInitScript(() => {
			window.open = () => null; // a popup blocker
		});
		await page.goto(`/?server=${encodeURIComponent(serverHost)}&channel=quiet-room`);
		await signInByRedirect(page, stack, account(stack, 'alice.test'));
		await expect(card(page, 'quiet-room')).toHaveAttribute('data-shared', 'true');
		await expect(page.getByRole('button', { name: 'Join Quiet room' })).toBeVisible();
	});

	test('bad links are refused with a message and change nothing', async ({ page }) => {
		for (const bad of ['javascript:alert(1)', 'http://evil.example', 'api.example.com/path']) {
			await page.goto(`/?server=${encodeURIComponent(bad)}`);
			await expect(page.getByTestId('link-notice')).toContainText('not valid');
			await expect(page.getByRole('alert').filter({ hasText: 'Nothing was changed' })).toBeVisible();
			await expect(page.getByLabel('Server')).toHaveValue(stack.server);
		}
		await signIn(page, account(stack, 'alice.test'));
		await page.goto('/?channel=no-such-channel');
		await expect(page.getByTestId('link-banner')).toContainText('There is no channel “no-such-channel” on this server.');
		await page.goto('/?channel=%3Cscript%3E');
		await expect(page.getByTestId('link-banner')).toContainText('not a channel name');
		// Another server: asked first, and "Stay here" keeps everything as it was.
		const other = `127.0.0.1:${new URL(stack.server).port}`;
		await page.goto(`/?server=${encodeURIComponent(other)}`);
		await expect(page.getByTestId('link-banner')).toContainText(`This link opens the server ${other}`);
		await page.getByRole('button', { name: 'Stay here' }).click();
		await expect(page.getByTestId('link-banner')).toHaveCount(0);
		await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
		await expect(page.locator('.host')).toHaveText(serverHost);
	});

	test('"Copy link" on a channel copies a link that opens it', async ({ page }) => {
		await page.addInitScript(() => {
			const copied: string[] = [];
			(window as unknown as { __copied: string[] }).__copied = copied;
			Object.defineProperty(navigator, 'share', { value: undefined, configurable: true });
			Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (text: string) => void copied.push(text) }, configurable: true });
		});
		await signIn(page, account(stack, 'alice.test'));
		await card(page, 'lobby').getByRole('button', { name: 'Copy link to this channel' }).click();
		await expect(card(page, 'lobby').getByRole('status')).toHaveText('Link copied');
		const copied = await page.evaluate(() => (window as unknown as { __copied: string[] }).__copied);
		expect(copied).toEqual([`${stack.app}/?server=${encodeURIComponent(serverHost)}&channel=lobby`]);
		await page.getByRole('button', { name: 'Copy link to this server' }).click();
		expect(await page.evaluate(() => (window as unknown as { __copied: string[] }).__copied.at(-1))).toBe(`${stack.app}/?server=${encodeURIComponent(serverHost)}`);
	});
});
