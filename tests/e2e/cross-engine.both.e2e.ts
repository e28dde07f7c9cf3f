// A call across engines: alice in Chromium and bob in Firefox join the same channel and
// each hears the other (the received track carries the other's tone, and its energy grows).
// It launches both browsers itself, so it runs once, in the Chromium project (the Firefox
// project ignores *.both.e2e.ts).
import { chromium, firefox, type Browser, type Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { energyGrowth, installAudioProbes, nearTone, receivedPeak } from './voice-audio.ts';
import { chromiumArgs, chromiumPath, firefoxPath, firefoxPrefs } from './browser.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const ALICE = 440;
const BOB = 880;

async function person(browser: Browser, stack: StackInfo, handle: string, tone: number): Promise<Page> {
	const context = await browser.newContext({ baseURL: stack.app, viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return page;
}

test('alice in Chromium and bob in Firefox hear each other in Lobby', async ({ stack }) => {
	test.setTimeout(180_000);
	const browsers = await Promise.all([
		chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs }),
		firefox.launch({ channel: 'moz-firefox', executablePath: firefoxPath(), firefoxUserPrefs: firefoxPrefs })
	]);
	try {
		const [chromiumBrowser, firefoxBrowser] = browsers;
		const alice = await person(chromiumBrowser, stack, 'alice.test', ALICE);
		const bob = await person(firefoxBrowser, stack, 'bob.test', BOB);
		for (const page of [alice, bob]) {
			await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
			await expect(page.getByTestId('call-status')).toHaveText('Connected');
		}
		// Each side's received track: the other's tone is its peak, and energy keeps arriving.
		await expect.poll(() => receivedPeak(bob), { timeout: 20_000, intervals: [200] }).toBeCloseTo(ALICE, -1);
		await expect.poll(() => receivedPeak(alice), { timeout: 20_000, intervals: [200] }).toBeCloseTo(BOB, -1);
		const [aliceHears, bobHears] = [await energyGrowth(alice), await energyGrowth(bob)];
		console.log(`[cross-engine] energy growth over 1.5 s: Chromium hears ${aliceHears.toFixed(4)}, Firefox hears ${bobHears.toFixed(4)}`);
		expect(aliceHears).toBeGreaterThan(0.01);
		expect(bobHears).toBeGreaterThan(0.01);
		expect(nearTone(await receivedPeak(alice), BOB)).toBe(true);
		expect(nearTone(await receivedPeak(bob), ALICE)).toBe(true);
		for (const page of [alice, bob]) await page.getByRole('button', { name: 'Leave channel' }).click();
	} finally {
		await Promise.all(browsers.map((b) => b.close()));
	}
});
