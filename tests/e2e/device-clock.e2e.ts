// Issue 28, item 3: a device whose clock is off. Laptops and phones drift, or wake from sleep
// before they set their clock again; the person's PDS, this server and the app must not make
// that a sign-in failure or a sign-out when the PDS would still accept the device.
//
// The page's clock (Date, timers) is shifted with Playwright's clock for the whole browser
// context, so the sign-in popup and the app's callback page in it run on the same wrong
// clock. The PDS accepts a DPoP proof whose `iat` is within about 3 minutes of its own clock
// (@atproto/oauth-provider: DPOP_NONCE_MAX_AGE): 2 minutes either way must sign in and renew;
// 5 minutes fast cannot pass, and the app must say why in words a person can act on.
//
// How renewal falls due: as in session-renewal.e2e.ts, the e2e stack's session JWT lives
// 10 s and the server ends the channel list's stream when it expires.
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, openSignInPopup, passPdsSignIn, signIn, storedAppState } from './sign-in.ts';

type Stored = { token: string; expiresAt: number };

const MINUTE = 60_000;

/** Every page of the context (the popup included) runs `shiftMs` off the real clock. */
async function shiftClock(context: BrowserContext, shiftMs: number): Promise<void> {
	await context.clock.install({ time: Date.now() + shiftMs });
}

/** The page's clock runs `shiftMs` off this runner's (real) clock, within a few seconds. */
async function expectShifted(page: Page, shiftMs: number): Promise<void> {
	const before = Date.now();
	const seen = await page.evaluate(() => Date.now());
	expect(Math.abs(seen - before - shiftMs)).toBeLessThan(5_000);
}

/** Waits (real time) until the server no longer accepts the stored JWT, then for its renewal. */
async function expectRenewed(page: Page): Promise<void> {
	const first = (await storedAppState(page)).session as Stored;
	// expiresAt is the server's time; this runner's clock is the real one.
	await page.waitForTimeout(Math.max(0, first.expiresAt - Date.now()) + 1000);
	await expect.poll(async () => ((await storedAppState(page)).session as Stored | undefined)?.token, { timeout: 30_000 }).not.toBe(first.token);
	await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 20_000 });
	await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
	expect(new URL(page.url()).pathname).toBe('/');
}

for (const [name, shiftMs] of [
	['2 minutes slow', -2 * MINUTE],
	['2 minutes fast', 2 * MINUTE]
] as const) {
	test(`a device whose clock is ${name} signs in and renews its session`, async ({ context, page, stack }) => {
		test.setTimeout(120_000);
		await shiftClock(context, shiftMs);
		const alice = account(stack, 'alice.test');
		const popup = await openSignInPopup(page, alice.handle);
		// The popup (the PDS's pages, then the app's callback page that trades the code) runs
		// on the same wrong clock as the tab: Playwright's clock covers the whole context.
		await expectShifted(page, shiftMs);
		// Read the popup's clock once it shows the PDS's form: before that it may still be
		// navigating there (Firefox: "Execution context was destroyed").
		await popup.locator('input[name=password]').waitFor();
		await expectShifted(popup, shiftMs);
		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Authorize' }).click();
		await expect(page.getByText('Signed in as @alice.test')).toBeVisible({ timeout: 30_000 });
		await expectRenewed(page);
		// And once more: the renewed session renews too.
		await expectRenewed(page);
	});
}

test('a device whose clock is 5 minutes fast is told to set its clock, not "unexpected"', async ({ context, page, pageErrors }) => {
	test.setTimeout(90_000);
	// The PDS refuses the sign-in's first request (/oauth/par: its DPoP proof is from the future).
	pageErrors.expect(/status of 401/);
	await shiftClock(context, 5 * MINUTE);
	const popup = await openSignInPopup(page, 'alice.test');
	const alert = page.getByRole('alert').first();
	await expect(alert).toHaveText('This device’s clock is 5 minutes fast. Set it to update automatically, then try again.', { timeout: 30_000 });
	await expect.poll(() => popup.isClosed()).toBe(true);
	expect((await storedAppState(page)).session).toBeUndefined();
});

test('a clock that jumps 5 minutes fast after sign-in keeps her signed in ("Reconnecting…"), and renewal recovers once it is set', async ({ context, page, stack, pageErrors }) => {
	test.setTimeout(120_000);
	// The PDS refuses getServiceAuth's DPoP proof (401 invalid_dpop_proof) while the clock is off.
	pageErrors.expect(/status of 401/);
	await shiftClock(context, 0);
	await signIn(page, account(stack, 'alice.test'));
	const first = (await storedAppState(page)).session as Stored;
	// A laptop waking from sleep with its clock drifted.
	await context.clock.setSystemTime(Date.now() + 5 * MINUTE);
	await page.waitForTimeout(Math.max(0, first.expiresAt - Date.now()) + 1000);
	await expect(page.getByTestId('directory-status')).toHaveText('Reconnecting…', { timeout: 20_000 });
	await page.waitForTimeout(3000);
	await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
	expect(((await storedAppState(page)).session as Stored).token).toBe(first.token);
	// The clock is set again: the next attempt renews.
	await context.clock.setSystemTime(Date.now());
	await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
	expect(((await storedAppState(page)).session as Stored).token).not.toBe(first.token);
	expect(new URL(page.url()).pathname).toBe('/');
});
