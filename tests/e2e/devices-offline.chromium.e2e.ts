// One person, two devices, and a network that drops: the laptop loses Wi-Fi mid-call, the
// person picks up the phone and joins there, then the laptop comes back. The laptop's
// automatic rejoin must not take the call back from the phone; it ends the call there with
// the "joined on another device" notice and "Join here" instead.
//
// Chromium only (the Firefox project ignores *.chromium.e2e.ts): Playwright's setOffline
// cuts Chromium's open WebSocket, so LiveKit sees the drop; under Firefox's WebDriver BiDi
// offline emulation the call keeps running (see voice-network.chromium.e2e.ts), so there is
// no lost call to rejoin. The server's side of the rule runs for every engine in
// server/services/channels.spec.ts.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { installAudioProbes } from './voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

interface Device {
	context: BrowserContext;
	page: Page;
	/** GetChannelToken requests this device made so far (answered or not). */
	tokens: () => number;
}

async function device(browser: Browser, stack: StackInfo, tone: number): Promise<Device> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	let tokens = 0;
	page.on('request', (r) => void (r.url().endsWith('.ChannelsService/GetChannelToken') && tokens++));
	await signIn(page, account(stack, 'alice.test'));
	await expect(page.getByTestId('directory-status')).toHaveText('Live');
	return { context, page, tokens: () => tokens };
}

const joinLobby = (page: Page) => page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();

test('a laptop back online after the phone took the call leaves the call to the phone and offers "Join here"', async ({ browser, stack, pageErrors }) => {
	// What going offline provokes (as in voice-network.chromium.e2e.ts): the browser's reports
	// of requests that could not go out, and livekit-client's log of its failed resumes.
	pageErrors.expect(/net::ERR_INTERNET_DISCONNECTED/);
	pageErrors.expect(/^Failed to fetch \{room: lobby\b/);
	pageErrors.expect(/^NegotiationError: negotiation timed out\b[^]*\{room: lobby[,}]/);
	// The laptop's LiveKit session ending under it, as its connection went and its room was
	// given up: livekit-client logs its signal socket and data channels closing as errors.
	pageErrors.expect(/^error reading from signal stream \{room: lobby\b[^]*WS closed unexpectedly with code 1006/);
	pageErrors.expect(/^DataChannel error on \w+: User-Initiated Abort\b/);
	pageErrors.expect(/^publisher data channel '\w+' closed unexpectedly\b/);
	test.setTimeout(180_000);
	const laptop = await device(browser, stack, 440);
	const phone = await device(browser, stack, 660);
	try {
		await joinLobby(laptop.page);
		await expect(laptop.page.getByTestId('call-status')).toHaveText('Connected');

		await laptop.context.setOffline(true);
		await expect(laptop.page.getByTestId('call-status')).toHaveText('Reconnecting…', { timeout: 20_000 });
		await joinLobby(phone.page);
		await expect(phone.page.getByTestId('call-status')).toHaveText('Connected');
		// The laptop gives LiveKit's resume up and rejoins by itself: its token requests go
		// nowhere while it is offline.
		const before = laptop.tokens();
		await expect.poll(laptop.tokens, { timeout: 40_000 }).toBeGreaterThan(before);

		await laptop.context.setOffline(false);
		await expect(laptop.page.getByTestId('call-ended')).toContainText('You joined Lobby on another device.', { timeout: 30_000 });
		await expect(laptop.page.getByRole('button', { name: 'Join here' })).toBeVisible();
		await expect(laptop.page.getByTestId('call-status')).toHaveCount(0);

		// The phone keeps the call, for 30 s and more: never ended, never reconnecting, and the
		// laptop asks for no more tokens once it settled.
		const settled = laptop.tokens();
		for (const until = Date.now() + 30_000; Date.now() < until; ) {
			await expect(phone.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 1 });
			await expect(phone.page.getByTestId('call-ended')).toHaveCount(0, { timeout: 1 });
			await phone.page.waitForTimeout(1000);
		}
		expect(laptop.tokens()).toBe(settled);
		await expect(phone.page.locator('[data-channel="lobby"] .person', { hasText: '@alice.test' })).toHaveCount(1);
	} finally {
		await laptop.context.close();
		await phone.context.close();
	}
});
