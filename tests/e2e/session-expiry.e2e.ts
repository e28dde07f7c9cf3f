// The server ends every WatchChannels stream when the session that opened it expires
// (UNAUTHENTICATED); the app renews the session and resumes the list. A person looking at
// the list must see nothing of it: the list stays "Live" across several expiries.
import { test, expect } from './fixtures.ts';
import { E2E_SESSION_TTL_SECONDS } from './global-setup.ts';
import { recordTexts } from './status-history.ts';
import { account, signIn, storedAppState } from './sign-in.ts';

type StoredSession = { token: string; expiresAt: number };

test('the channel list stays "Live" across session expiries while the app renews behind it', async ({ page, stack }) => {
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
});
