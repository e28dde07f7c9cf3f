// Voice channels against the real stack: real PDS sign-in, real Envoy, real LiveKit. Each
// person is their own browser context whose microphone is a tone (alice 440 Hz, bob 880 Hz).
// A third context, signed in as bob but never joining, watches the channel list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { test, expect } from './fixtures.ts';
import { escapeRegExp, livekitOutageLogs } from './page-errors.ts';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import { account, signIn, storedAppState } from './sign-in.ts';
import { energyGrowth, heardLevel, installAudioProbes, nearTone, receivedPeak, type MicMode } from './voice-audio.ts';
import { startLiveKit, stopLiveKit } from './voice-stack.ts';
import { firstScreenJs } from './voice-bundle.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const ALICE = 440;
const BOB = 880;

async function person(browser: Browser, handle: string, mic: MicMode | undefined): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	if (mic) await installAudioProbes(context, mic);
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return { context, page };
}

const lobby = (page: Page) => page.locator('[data-channel="lobby"]');
const inLobby = (page: Page, handle: string) => lobby(page).locator('.person', { hasText: `@${handle}` });

test.describe.configure({ mode: 'serial' });

test.describe('voice channels', () => {
	let alice: { context: BrowserContext; page: Page };
	let bob: { context: BrowserContext; page: Page };
	let watcher: { context: BrowserContext; page: Page };

	test.beforeAll(async ({ browser }) => {
		test.setTimeout(90_000);
		watcher = await person(browser, 'bob.test', undefined);
		alice = await person(browser, 'alice.test', { tone: ALICE });
		bob = await person(browser, 'bob.test', { tone: BOB });
		await expect(watcher.page.getByTestId('directory-status')).toHaveText('Live');
	});

	test.afterAll(async () => {
		for (const p of [alice, bob, watcher]) await p?.context.close();
	});

	test('the first screen loads without livekit-client; joining loads it', async () => {
		const sizes = firstScreenJs(await alice.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name)));
		console.log(`[voice] first screen JS (gzip): ${(sizes.gzip / 1024).toFixed(1)} KiB in ${sizes.files} files; livekit chunk ${(sizes.livekitGzip / 1024).toFixed(1)} KiB; with it ${((sizes.gzip + sizes.livekitGzip) / 1024).toFixed(1)} KiB`);
		expect(sizes.livekitLoaded).toBe(false);
	});

	test('alice and bob join Lobby with one tap; the watcher sees each within 2 s without reloading', async () => {
		await lobby(alice.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(inLobby(watcher.page, 'alice.test')).toBeVisible({ timeout: 2000 });

		const clicked = Date.now();
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(inLobby(watcher.page, 'bob.test')).toBeVisible({ timeout: 2000 });
		await expect.poll(() => receivedPeak(bob.page), { timeout: 15_000, intervals: [100] }).toBeCloseTo(ALICE, -1);
		console.log(`[voice] time from clicking "Lobby" to hearing the other person: ${Date.now() - clicked} ms`);
		await expect(inLobby(watcher.page, 'alice.test')).toBeVisible();
	});

	test('each hears the other: received energy grows and the other person’s tone is the peak', async () => {
		expect(await energyGrowth(alice.page)).toBeGreaterThan(0.01);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
		expect(nearTone(await receivedPeak(alice.page), BOB)).toBe(true);
		expect(nearTone(await receivedPeak(bob.page), ALICE)).toBe(true);
		await expect(inLobby(alice.page, 'bob.test')).toBeVisible();
	});

	test('the LiveKit participant identity of each is their DID, the name their handle', async () => {
		const rooms = new RoomServiceClient(stack.livekit.httpUrl, stack.livekit.apiKey, stack.livekit.apiSecret);
		const [room] = (await rooms.listRooms()).filter((r) => r.numParticipants > 0);
		const people = await rooms.listParticipants(room!.name);
		expect(people.map((p) => [p.identity, p.name]).sort()).toEqual(
			[
				[account(stack, 'alice.test').did, 'alice.test'],
				[account(stack, 'bob.test').did, 'bob.test']
			].sort()
		);
	});

	test('mute stops the other side’s energy growing; unmute resumes it (key M too)', async () => {
		await alice.page.getByRole('button', { name: 'Mute', exact: true }).click();
		await expect(alice.page.getByRole('button', { name: 'Mute', exact: true })).toHaveAttribute('aria-pressed', 'true');
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeLessThan(0.001);
		await expect(inLobby(watcher.page, 'alice.test').getByRole('img', { name: 'muted' })).toBeVisible({ timeout: 3000 });
		await alice.page.keyboard.press('m');
		await expect(alice.page.getByRole('button', { name: 'Mute', exact: true })).toHaveAttribute('aria-pressed', 'false');
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
	});

	test('deafen silences what you hear and mutes you; undeafen restores both', async () => {
		expect(await heardLevel(bob.page, ALICE)).toBeGreaterThan(-70);
		await bob.page.getByRole('button', { name: 'Deafen' }).click();
		await expect(bob.page.getByRole('button', { name: 'Mute', exact: true })).toHaveAttribute('aria-pressed', 'true');
		await bob.page.waitForTimeout(500);
		expect(await heardLevel(bob.page, ALICE)).toBeLessThan(-100);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01); // alice still arrives, bob just doesn't hear her
		await bob.page.waitForTimeout(500);
		expect(await energyGrowth(alice.page)).toBeLessThan(0.001);
		await bob.page.keyboard.press('d');
		await expect(bob.page.getByRole('button', { name: 'Deafen' })).toHaveAttribute('aria-pressed', 'false');
		await bob.page.waitForTimeout(500);
		expect(await heardLevel(bob.page, ALICE)).toBeGreaterThan(-70);
		expect(await energyGrowth(alice.page)).toBeGreaterThan(0.01);
	});

	test('a per-person volume of 0 silences that person for you only', async () => {
		await inLobby(alice.page, 'bob.test').getByRole('button', { name: 'Volume for @bob.test' }).click();
		await alice.page.getByRole('slider', { name: 'Volume of @bob.test' }).fill('0');
		await alice.page.waitForTimeout(500);
		expect(await heardLevel(alice.page, BOB)).toBeLessThan(-100);
		expect(await energyGrowth(alice.page)).toBeGreaterThan(0.01); // still sent and received
		expect(await heardLevel(bob.page, ALICE)).toBeGreaterThan(-70); // bob still hears alice
		await alice.page.getByRole('slider', { name: 'Volume of @bob.test' }).fill('200');
		await alice.page.waitForTimeout(500);
		expect(await heardLevel(alice.page, BOB)).toBeGreaterThan(-70);
	});

	test('push-to-talk opens a muted microphone while the key or the hold button is held', async () => {
		const mute = alice.page.getByRole('button', { name: 'Mute', exact: true });
		await mute.click();
		await expect(mute).toHaveAttribute('aria-pressed', 'true');
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeLessThan(0.001);

		await alice.page.keyboard.down('Backquote');
		await expect(alice.page.getByRole('button', { name: 'Hold to talk' })).toHaveAttribute('aria-pressed', 'true');
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
		await alice.page.keyboard.up('Backquote');
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeLessThan(0.001);

		const hold = alice.page.getByRole('button', { name: 'Hold to talk' });
		await hold.hover();
		await alice.page.mouse.down();
		await bob.page.waitForTimeout(800);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
		await alice.page.mouse.up();
		await expect(hold).toHaveAttribute('aria-pressed', 'false');
		await mute.click();
		await expect(mute).toHaveAttribute('aria-pressed', 'false');
	});

	// "A dropped network" (Playwright's setOffline during a call) is in
	// voice-network.chromium.e2e.ts: only Chromium's emulation cuts open connections.

	// With end-to-end encryption on, this also checks that the keys are exchanged again: during
	// LiveKit's full reconnect, livekit-client parks key envelopes for a replay that never
	// comes, and only asking again for a missing key gets them through (key-exchange.ts).
	test('LiveKit stopped and restarted mid-call: both show "reconnecting", then hear each other again without a click', async ({ pageErrors }) => {
		test.setTimeout(120_000);
		// LiveKit is down on purpose: refused connections to it and livekit-client's log of them.
		const sfu = escapeRegExp(new URL(stack.livekit.url).host);
		pageErrors.expectFailedSocket(new RegExp(`wss?://${sfu}/rtc\\b.*`));
		pageErrors.expectFailedRequest(new RegExp(`https?://${sfu}/.*`));
		pageErrors.expect(livekitOutageLogs('lobby'));
		await stopLiveKit(stack);
		const stopped = Date.now();
		await expect(alice.page.getByTestId('call-status')).toHaveText('Reconnecting…', { timeout: 15_000 });
		await expect(bob.page.getByTestId('call-status')).toHaveText('Reconnecting…', { timeout: 15_000 });
		await startLiveKit();
		const restarted = Date.now();
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 60_000 });
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 60_000 });
		await expect.poll(async () => nearTone(await receivedPeak(bob.page), ALICE), { timeout: 30_000, intervals: [200] }).toBe(true);
		await expect.poll(async () => nearTone(await receivedPeak(alice.page), BOB), { timeout: 30_000, intervals: [200] }).toBe(true);
		console.log(`[voice] SFU restart: down ${restarted - stopped} ms; hearing each other again ${Date.now() - restarted} ms after the restart (${Date.now() - stopped} ms after the stop)`);
		expect(await energyGrowth(alice.page)).toBeGreaterThan(0.01);
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
	});

	test('leaving takes alice off the watcher’s list within 2 s', async () => {
		await alice.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(alice.page.getByTestId('call-status')).toHaveCount(0);
		await expect(inLobby(watcher.page, 'alice.test')).toHaveCount(0, { timeout: 2000 });
		await expect(inLobby(bob.page, 'alice.test')).toHaveCount(0, { timeout: 2000 });
	});

	test('a refused microphone joins listen-only with a banner; the other side sees them', async ({ browser }) => {
		test.setTimeout(120_000); // a whole sign-in through the PDS popup comes first (30-60 s on a loaded machine)
		const refused = await person(browser, 'alice.test', 'refused');
		try {
			await lobby(refused.page).getByRole('button', { name: /Lobby/ }).click();
			await expect(refused.page.getByTestId('call-status')).toHaveText('Connected');
			await expect(refused.page.getByTestId('mic-banner')).toContainText('listening only');
			await expect(refused.page.getByTestId('mic-banner')).toContainText('Allow the microphone');
			await expect(inLobby(bob.page, 'alice.test')).toBeVisible({ timeout: 5000 });
			await expect(inLobby(watcher.page, 'alice.test')).toBeVisible({ timeout: 2000 });
			// She still hears bob.
			await expect.poll(async () => nearTone(await receivedPeak(refused.page), BOB), { timeout: 15_000 }).toBe(true);
			await refused.page.getByRole('button', { name: 'Leave channel' }).click();
			await expect(inLobby(watcher.page, 'alice.test')).toHaveCount(0, { timeout: 2000 });
			await expect(inLobby(bob.page, 'alice.test')).toHaveCount(0, { timeout: 2000 });
		} finally {
			await refused.context.close();
		}
	});

	test('screenshots of the channel list and the call at phone and desktop sizes, no horizontal scroll', async ({}, info) => {
		for (const size of [
			{ name: 'phone', width: 390, height: 844 },
			{ name: 'small-phone', width: 360, height: 740 },
			{ name: 'desktop', width: 1280, height: 800 }
		]) {
			for (const [what, page] of [['list', watcher.page], ['call', bob.page]] as const) {
				await page.setViewportSize(size);
				expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
				await page.screenshot({ path: info.outputPath(`voice-${what}-${size.name}.png`) });
			}
		}
	});

	test('a token for an unknown channel is NOT_FOUND; a token request without a session is UNAUTHENTICATED', async () => {
		// A session JWT with a few seconds left: the app renews on demand, so a reload after
		// expiry makes it fetch a fresh one.
		let session = (await storedAppState(watcher.page)).session as { token: string; expiresAt: number };
		if (session.expiresAt - Date.now() < 5000) {
			await watcher.page.waitForTimeout(Math.max(0, session.expiresAt - Date.now()) + 500);
			await watcher.page.reload();
			await expect(watcher.page.getByTestId('directory-status')).toHaveText('Live');
			session = (await storedAppState(watcher.page)).session as { token: string; expiresAt: number };
		}
		const channels = (token?: string) =>
			createClient(
				ChannelsService,
				createGrpcWebTransport({
					baseUrl: stack.server,
					useBinaryFormat: true,
					interceptors: [(next) => (req) => (token && req.header.set('authorization', `Bearer ${token}`), next(req))]
				})
			);
		const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => ConnectError.from(e).code);
		expect(await refusal(channels(session.token).getChannelToken({ channelId: 'no-such-channel' }))).toBe(Code.NotFound);
		expect(await refusal(channels().getChannelToken({ channelId: 'lobby' }))).toBe(Code.Unauthenticated);
		expect(await refusal(channels('not-a-jwt').getChannelToken({ channelId: 'lobby' }))).toBe(Code.Unauthenticated);
	});

	test('bob leaving empties Lobby for the watcher within 2 s', async () => {
		await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(inLobby(watcher.page, 'bob.test')).toHaveCount(0, { timeout: 2000 });
	});
});
