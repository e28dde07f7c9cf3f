// One person, two devices (phone and laptop), as two browser contexts signed in as alice.
// The newest device holds the call; the other leaves it for good and says so, with "Join
// here" to take it back. No kick loop: no new token or peer connection once it settled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { installAudioProbes, nearTone, receivedPeak } from './voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const BOB = 880;

interface Device {
	context: BrowserContext;
	page: Page;
	/** GetChannelToken requests this device made so far. */
	tokens: () => number;
}

async function device(browser: Browser, handle: string, tone: number): Promise<Device> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	let tokens = 0;
	page.on('request', (r) => void (r.url().endsWith('.ChannelsService/GetChannelToken') && tokens++));
	await signIn(page, account(stack, handle));
	await expect(page.getByTestId('directory-status')).toHaveText('Live');
	return { context, page, tokens: () => tokens };
}

const card = (page: Page, id: string) => page.locator(`[data-channel="${id}"]`);
const aliceRows = (page: Page) => page.locator('[data-channel] .person', { hasText: '@alice.test' });
const peerConnections = (page: Page) => page.evaluate(() => window.__pcs.length);

/** Token requests and peer connections of both devices; equal before and after means no loop. */
async function churn(devices: Device[]): Promise<number[]> {
	return (await Promise.all(devices.map(async (d) => [d.tokens(), await peerConnections(d.page)]))).flat();
}

test.describe.configure({ mode: 'serial' });

test.describe('one person on two devices', () => {
	let bob: Device;
	let laptop: Device;
	let phone: Device;

	test.beforeAll(async ({ browser }) => {
		test.setTimeout(120_000);
		bob = await device(browser, 'bob.test', BOB);
		laptop = await device(browser, 'alice.test', 440);
		phone = await device(browser, 'alice.test', 660);
		await card(bob.page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
	});

	// Each test makes the server end a device's call: livekit-client logs its data channels
	// closing under it as errors. That, and nothing else, is expected here.
	test.beforeEach(({ pageErrors }) => {
		pageErrors.expect(/^DataChannel error on \w+: User-Initiated Abort\b/);
		pageErrors.expect(/^publisher data channel '\w+' closed unexpectedly\b/);
	});

	test.afterAll(async () => {
		for (const d of [bob, laptop, phone]) await d?.context.close();
	});

	test('the newest device in the same channel holds the call; the other says so, once, and does not fight back', async ({}, info) => {
		test.setTimeout(90_000);
		await card(laptop.page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
		await expect(laptop.page.getByTestId('call-status')).toHaveText('Connected');
		await card(phone.page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
		await expect(phone.page.getByTestId('call-status')).toHaveText('Connected');

		await expect(laptop.page.getByTestId('call-ended')).toContainText('You joined Lobby on another device.');
		await expect(laptop.page.getByRole('button', { name: 'Join here' })).toBeVisible();
		await expect(laptop.page.getByTestId('call-status')).toHaveCount(0);
		for (const size of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
			await laptop.page.setViewportSize(size);
			await laptop.page.screenshot({ path: info.outputPath(`call-ended-${size.width}.png`) });
		}

		// A few seconds of nothing: no device asks for a new token or opens a new connection.
		const settled = await churn([laptop, phone]);
		await phone.page.waitForTimeout(5000);
		expect(await churn([laptop, phone])).toEqual(settled);
		await expect(phone.page.getByTestId('call-status')).toHaveText('Connected');
		await expect.poll(async () => nearTone(await receivedPeak(phone.page), BOB), { timeout: 15_000 }).toBe(true);

		// Everyone's list shows alice once, in Lobby.
		for (const d of [bob, laptop, phone]) {
			await expect(aliceRows(d.page)).toHaveCount(1);
			await expect(card(d.page, 'lobby').locator('.person', { hasText: '@alice.test' })).toHaveCount(1);
		}
	});

	test('"Join here" takes the call back; the phone then says so', async () => {
		await laptop.page.getByRole('button', { name: 'Join here' }).click();
		await expect(laptop.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(laptop.page.getByTestId('call-ended')).toHaveCount(0);
		await expect(phone.page.getByTestId('call-ended')).toContainText('You joined Lobby on another device.');
		await expect(phone.page.getByTestId('call-status')).toHaveCount(0);
		await expect.poll(async () => nearTone(await receivedPeak(laptop.page), BOB), { timeout: 15_000 }).toBe(true);
		const settled = await churn([laptop, phone]);
		await laptop.page.waitForTimeout(3000);
		expect(await churn([laptop, phone])).toEqual(settled);
	});

	test('joining another channel on the phone ends the laptop’s call there: one call per person, listed once', async () => {
		await card(phone.page, 'music').getByRole('button', { name: /Music/ }).click();
		await expect(phone.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(laptop.page.getByTestId('call-ended')).toContainText('You joined Music on another device.');
		await expect(laptop.page.getByTestId('call-status')).toHaveCount(0);
		for (const d of [bob, laptop, phone]) {
			await expect(card(d.page, 'music').locator('.person', { hasText: '@alice.test' })).toHaveCount(1);
			await expect(aliceRows(d.page)).toHaveCount(1);
		}
		const settled = await churn([laptop, phone]);
		await phone.page.waitForTimeout(3000);
		expect(await churn([laptop, phone])).toEqual(settled);
		// "Join here" on the laptop brings the call to Music there.
		await laptop.page.getByRole('button', { name: 'Join here' }).click();
		await expect(laptop.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(card(laptop.page, 'music').getByRole('button', { name: /Music/ })).toContainText('You are here');
		await expect(phone.page.getByTestId('call-ended')).toContainText('You joined Music on another device.');
		await laptop.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(aliceRows(bob.page)).toHaveCount(0, { timeout: 5000 });
	});
});
