import { test, expect } from './fixtures.ts';
import { account, openSignInPopup, passPdsSignIn, signIn, signInByRedirect, storedAppState } from './sign-in.ts';

test.describe('sign-in', () => {
	test('alice signs in through her PDS in a popup and lands connected', async ({ page, stack }) => {
		const alice = account(stack, 'alice.test');
		await signIn(page, alice);
		await expect(page).toHaveURL(/\/$/);
		await expect(page.getByTestId('server-name')).toHaveText('Microclimate Local');
		await expect(page.getByText('Lobby')).toBeVisible();
		const { session, pending } = await storedAppState(page);
		expect(session).toMatchObject({ did: alice.did, handle: 'alice.test', serverUrl: stack.server });
		expect(pending).toBeUndefined();
	});

	test('a blocked popup falls back to signing in by redirect', async ({ page, stack }) => {
		const alice = account(stack, 'alice.test');
		// What a popup blocker does: window.open returns null.
		await page.addInitScript(() => {
			window.open = () => null;
		});
		await page.goto('/connect');
		await signInByRedirect(page, stack, alice);
		expect(new URL(page.url()).pathname).toBe('/');
		expect(page.url()).not.toContain('code=');
		const { session, pending } = await storedAppState(page);
		expect(session).toMatchObject({ did: alice.did, handle: 'alice.test' });
		expect(pending).toBeUndefined();
	});

	test('a reload keeps her signed in', async ({ page, stack }) => {
		await signIn(page, account(stack, 'alice.test'));
		await page.reload();
		await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
		await expect(page.getByText('Lobby')).toBeVisible();
	});

	test('signing out in one tab signs out the other tabs', async ({ context, page, stack }) => {
		await signIn(page, account(stack, 'alice.test'));
		const other = await context.newPage();
		await other.goto('/');
		await expect(other.getByText('Signed in as @alice.test')).toBeVisible();

		await page.getByRole('link', { name: 'Settings' }).click();
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/connect$/);
		await expect(other).toHaveURL(/\/connect$/, { timeout: 1000 });
		expect((await storedAppState(page)).session).toBeUndefined();
	});

	test('"Change server" signs out and returns to the connect screen', async ({ page, stack }) => {
		await signIn(page, account(stack, 'bob.test'));
		await page.getByRole('link', { name: 'Settings' }).click();
		await page.getByRole('button', { name: 'Change server' }).click();
		await expect(page).toHaveURL(/\/connect$/);
		expect((await storedAppState(page)).session).toBeUndefined();
	});

	test('a signed-out visit to the app lands on the connect screen', async ({ page }) => {
		await page.goto('/settings');
		await expect(page).toHaveURL(/\/connect$/);
		await page.goto('/');
		await expect(page).toHaveURL(/\/connect$/);
	});
});

test.describe('sign-in refusals', () => {
	async function expectNothingStored(page: import('@playwright/test').Page) {
		expect(await storedAppState(page)).toEqual({ session: undefined, pending: undefined });
	}

	test('a malformed handle is explained before anything is called', async ({ page }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		let popups = 0;
		page.on('popup', () => popups++);
		await page.getByLabel('Handle').fill('alice');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toHaveText(
			'"alice" is not a handle. A handle looks like alice.bsky.social (or a DID such as did:plc:…).'
		);
		expect(popups).toBe(0);
		await expectNothingStored(page);
	});

	test('a handle that does not resolve', async ({ page, pageErrors }) => {
		// The resolver's 400 for the unknown handle is what this test provokes.
		pageErrors.expectFailedRequest(/http:\/\/[^)]*\/xrpc\/com\.atproto\.identity\.resolveHandle\?handle=nobody\.test/);
		const popup = await openSignInPopup(page, 'nobody.test');
		await expect(page.getByRole('alert')).toHaveText(
			'We couldn’t find the account @nobody.test. Check the handle: it looks like alice.bsky.social.'
		);
		await expect.poll(() => popup.isClosed()).toBe(true);
		await expectNothingStored(page);
	});

	test('an unreachable server', async ({ page, pageErrors }) => {
		pageErrors.expectFailedRequest(/http:\/\/127\.0\.0\.1:9\/[^)]*/);
		await page.goto('/connect');
		// She changes the server once the screen has shown the default one (its check done).
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Server').fill('http://127.0.0.1:9');
		await page.getByRole('button', { name: 'Check' }).click();
		await page.getByLabel('Handle').fill('alice.test');
		await expect(page.getByTestId('server-status')).toHaveText("Can't reach 127.0.0.1:9. Check the address and your connection.");
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
		await expectNothingStored(page);
	});

	test('a URL that answers but is not a Microclimate server', async ({ page, stack, pageErrors }) => {
		// The PDS answers the server-info call with 404: that is how the app finds out.
		pageErrors.expectFailedRequest(/http:\/\/[^)]*\/microclimate\.auth\.v1\.AuthService\/GetServerInfo/);
		await page.goto('/connect');
		// She changes the server once the screen has shown the default one (its check done).
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Server').fill(stack.pds);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-status')).toContainText('is not a Microclimate server');
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
		await expectNothingStored(page);
	});

	test('"Deny access" on the consent page', async ({ page, stack }) => {
		const alice = account(stack, 'alice.test');
		const popup = await openSignInPopup(page, alice.handle);
		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Deny access' }).click();
		await expect(page.getByRole('alert')).toHaveText(
			'You denied access on your account’s sign-in page, so you are not signed in. Sign in again when you are ready.'
		);
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
		await expectNothingStored(page);
	});

	test('closing the popup, then Cancel', async ({ page }) => {
		const popup = await openSignInPopup(page, 'alice.test');
		await expect(page.getByText('Approve the sign-in for @alice.test in the window that opened.')).toBeVisible();
		await popup.close();
		await page.getByRole('button', { name: 'Cancel' }).click();
		await expect(page.getByRole('alert')).toHaveText('Sign-in cancelled.');
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
		await expectNothingStored(page);
	});

	test('a second click on "Sign in" while one runs starts nothing more', async ({ page }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Handle').fill('alice.test');
		let popups = 0;
		page.on('popup', () => popups++);
		await page.getByRole('button', { name: 'Sign in' }).dblclick();
		await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
		await page.keyboard.press('Enter');
		await page.waitForTimeout(500);
		expect(popups).toBe(1);
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	test('a reload in the middle of a sign-in is reported and keeps what was typed', async ({ page }) => {
		const popup = await openSignInPopup(page, 'alice.test');
		await expect.poll(async () => (await storedAppState(page)).pending).toMatchObject({ handle: 'alice.test' });
		await page.reload();
		await expect(page.getByRole('alert').first()).toHaveText(
			'Your sign-in as @alice.test did not finish (the page was closed or reloaded). Sign in again.'
		);
		await expect(page.getByLabel('Handle')).toHaveValue('alice.test');
		await expectNothingStored(page);
		await popup.close().catch(() => {});
	});
});
