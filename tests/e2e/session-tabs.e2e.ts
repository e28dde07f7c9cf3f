// Issue 10, item 2: a sign-in waiting in one tab's popup belongs to that tab. Opening the
// app in another tab must not cancel it; a sign-in whose tab is gone is reported once and
// cleared by the next /connect. Real PDS pages in the popup.
import { test, expect } from './fixtures.ts';
import { account, openSignInPopup, passPdsSignIn, storedAppState } from './sign-in.ts';

test.describe('a sign-in and other tabs', () => {
	test('opening /connect in a second tab does not cancel the sign-in waiting in the first tab’s popup', async ({ context, page, stack }) => {
		const alice = account(stack, 'alice.test');
		const popup = await openSignInPopup(page, alice.handle);
		await expect.poll(async () => (await storedAppState(page)).pending).toMatchObject({ handle: alice.handle });

		// The person opens the app again in another tab while the popup waits.
		const second = await context.newPage();
		await second.goto('/connect');
		await expect(second.getByTestId('server-name')).toBeVisible();

		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Authorize' }).click();
		await expect(page.getByText(`Signed in as @${alice.handle}`)).toBeVisible();
		expect(await storedAppState(page)).toMatchObject({ session: { did: alice.did }, pending: undefined });
		// The second tab said where the sign-in was, instead of calling it interrupted.
		await expect(second.getByRole('alert').first()).toHaveText(`A sign-in as @${alice.handle} is waiting for approval in another tab or window.`);
	});

	test('a sign-in whose tab was closed is reported by the next /connect, and approving it later signs no one in', async ({ context, page, stack }) => {
		const alice = account(stack, 'alice.test');
		const popup = await openSignInPopup(page, alice.handle);
		await expect.poll(async () => (await storedAppState(page)).pending).toMatchObject({ handle: alice.handle });
		// The opener has sent the popup to the PDS's page; then the tab goes away.
		await popup.waitForURL((url) => url.origin === new URL(stack.pds).origin, { waitUntil: 'commit' });
		await page.close();

		const next = await context.newPage();
		await next.goto('/connect');
		await expect(next.getByRole('alert').first()).toHaveText(
			`Your sign-in as @${alice.handle} did not finish (the page was closed or reloaded). Sign in again.`
		);
		expect(await storedAppState(next)).toEqual({ session: undefined, pending: undefined });

		// Nobody listens for this popup any more: the approval must not sign anyone in.
		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Authorize' }).click();
		await popup.waitForEvent('close');
		await next.reload();
		await expect(next.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		expect(await storedAppState(next)).toEqual({ session: undefined, pending: undefined });
	});
});
