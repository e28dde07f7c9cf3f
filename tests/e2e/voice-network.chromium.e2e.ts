// A dropped network during a call, Chromium only (the Firefox project ignores
// *.chromium.e2e.ts): Playwright's setOffline cuts Chromium's open WebSocket, so LiveKit
// sees the drop; under Firefox's WebDriver BiDi offline emulation the open signal WebSocket
// and media keep running (seen here: the call stays "Connected" for 20 s and more), so no
// drop happens there to recover from. Firefox gets the same recovery path from voice.e2e.ts's "LiveKit stopped and
// restarted mid-call" (the server side goes away instead), and its offline screens from
// pwa.e2e.ts and a11y.e2e.ts.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { installAudioProbes, nearTone, receivedPeak } from './voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const ALICE = 440;
const BOB = 880;

async function person(browser: Browser, stack: StackInfo, handle: string, tone: number): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
	await expect(page.getByTestId('call-status')).toHaveText('Connected');
	return { context, page };
}

test('a dropped network: the call shows "Reconnecting…", then comes back by itself', async ({ browser, stack, pageErrors }) => {
	// What going offline provokes: the browser's reports of requests that could not go out,
	// and livekit-client's own log of its failed reconnection attempts.
	pageErrors.expect(/net::ERR_INTERNET_DISCONNECTED/);
	pageErrors.expect(/^Failed to fetch \{room: lobby\b/);
	// A publisher negotiation under way when the network went is given up after LiveKit's
	// peer-connection timeout, and livekit-client logs it as it reconnects (seen once in CI).
	pageErrors.expect(/^NegotiationError: negotiation timed out\b[^]*\{room: lobby[,}]/);
	test.setTimeout(150_000);
	const alice = await person(browser, stack, 'alice.test', ALICE);
	const bob = await person(browser, stack, 'bob.test', BOB);
	try {
		await alice.context.setOffline(true);
		await expect(alice.page.getByTestId('call-status')).toHaveText('Reconnecting…', { timeout: 20_000 });
		await alice.context.setOffline(false);
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 60_000 });
		await expect(alice.page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
		await expect.poll(async () => nearTone(await receivedPeak(bob.page), ALICE), { timeout: 30_000, intervals: [200] }).toBe(true);
		await expect.poll(async () => nearTone(await receivedPeak(alice.page), BOB), { timeout: 30_000, intervals: [200] }).toBe(true);
	} finally {
		await alice.context.close();
		await bob.context.close();
	}
});
