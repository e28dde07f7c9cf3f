// The server ends every WatchChannels stream when the session that opened it expires
// (UNAUTHENTICATED); the app renews the session and resumes the list. A person looking at
// the list must see nothing of it: the list stays "Live" across several expiries. The rest
// of the app keeps working on the renewed session too: joining (which needs a current JWT,
// unlike the long-lived list) connects, and Settings opens.
import { test, expect } from './fixtures.ts';
import { E2E_SESSION_TTL_SECONDS } from './global-setup.ts';
import { recordTexts } from './status-history.ts';
import { account, signIn, storedAppState } from './sign-in.ts';

type StoredSession = { token: string; expiresAt: number };

test('the channel list stays "Live" across session expiries while the app renews behind it; joining works after them', async ({ page, stack }) => {
	test.setTimeout(120_000);
	await signIn(page, account(stack, 'alice.test'));
	const status = page.getByTestId('directory-status');
	await expect(status).toHaveText('Live');
	const statusTexts = await recordTexts(status);
	const tokens = new Set<string>();
	const first = (await storedAppState(page)).session as StoredSession;
	tokens.add(first.token);
	// Two expiries: the stream opened with the first JWT, then the one opened with its renewal.
	const until = first.expiresAt + E2E_SESSION_TTL_SECONDS * 1000 + 3000;
	while (Date.now() < until) {
		await page.waitForTimeout(1000);
		tokens.add(((await storedAppState(page)).session as StoredSession).token);
	}
	expect(tokens.size).toBeGreaterThanOrEqual(3); // renewed at each expiry with nobody clicking
	await expect(status).toHaveText('Live');
	expect((await statusTexts()).filter((s) => s !== 'Live')).toEqual([]);
	await expect(page.getByText('Lobby')).toBeVisible();

	await page.getByRole('link', { name: 'Settings' }).click();
	await page.getByRole('link', { name: 'Microclimate' }).click();
	await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
	await page.getByRole('button', { name: /Lobby/ }).click();
	await expect(page.getByTestId('call-status')).toHaveText('Connected');
	await page.getByRole('button', { name: 'Leave channel' }).click();
	const renewed = (await storedAppState(page)).session as StoredSession;
	expect(renewed.token).not.toBe(first.token);
	expect(renewed.expiresAt).toBeGreaterThan(Date.now());
});
