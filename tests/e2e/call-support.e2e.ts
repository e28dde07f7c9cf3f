// Calls in browsers that cannot, or will not yet, play sound, against the real stack:
// - a browser without WebRTC must say so at once and for good, and stay usable;
// - a browser that refuses to start sound must offer "Tap to enable audio", and one tap must
//   make the other person heard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserType, LaunchOptions, Page } from '@playwright/test';
import { test, expect, watchBrowser } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { energyGrowth, heardLevel, installAudioProbes } from './voice-audio.ts';
import { firstScreenJs } from './voice-bundle.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

// Read here, not through the `stack` fixture: the audio tests share one talker from beforeAll.
const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const ALICE = 440;
const BOB = 880;
const UNSUPPORTED = "This browser can't make voice calls";

/**
 * Whether sound reaches the speakers now: the samples of the output tap move. A suspended
 * AudioContext freezes them (its analyser keeps the last spectrum, so a level alone can't tell).
 */
function soundMoves(page: Page): Promise<boolean> {
	return page.evaluate(async () => {
		const read = () =>
			window.__taps.map((tap) => {
				const samples = new Float32Array(tap.fftSize);
				tap.getFloatTimeDomainData(samples);
				return samples;
			});
		const before = read();
		await new Promise((r) => setTimeout(r, 250));
		return read().some((samples, i) => samples.some((v, j) => v !== before[i]![j]));
	});
}

const lobby = (page: Page) => page.locator('[data-channel="lobby"]');
const joinLobby = (page: Page) => lobby(page).getByRole('button', { name: /Lobby/ });

async function newPerson(browser: Browser, handle: string, mic?: { tone: number }) {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	if (mic) await installAudioProbes(context, mic);
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return { context, page };
}

/**
 * The same browser as the project's, launched WITHOUT the test flag that lets every page
 * play sound: sound then needs a real tap, as in a person's browser (and always in Safari).
 */
function refusingAutoplay(browserType: BrowserType, options: LaunchOptions): LaunchOptions {
	switch (browserType.name()) {
		case 'chromium':
			return {
				...options,
				args: [...(options.args ?? []).filter((a) => !a.startsWith('--autoplay-policy=')), '--autoplay-policy=document-user-activation-required']
			};
		case 'firefox':
			return {
				...options,
				firefoxUserPrefs: { ...options.firefoxUserPrefs, 'media.autoplay.default': 1, 'media.autoplay.blocking_policy': 0, 'media.autoplay.block-webaudio': true }
			};
		default:
			throw new Error(`This test has no way yet to refuse autoplay in ${browserType.name()}`);
	}
}

test.describe('a browser without WebRTC', () => {
	test('joining says "This browser can\'t make voice calls" at once and for good; the list stays live and sign-out works', async ({ browser }) => {
		test.setTimeout(90_000);
		const alice = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
		// Simulates a browser without WebRTC, as Debian's WebKitGTK, Safari's Lockdown Mode and
		// some embedded web views are: RTCPeerConnection simply does not exist there.
		await alice.addInitScript(() => {
			const w = window as unknown as Record<string, unknown>;
			delete w.RTCPeerConnection;
			delete w.webkitRTCPeerConnection;
		});
		const tokenRequests: string[] = [];
		alice.on('request', (r) => r.url().includes('/GetChannelToken') && tokenRequests.push(r.url()));
		const page = await alice.newPage();
		await signIn(page, account(stack, 'alice.test'));
		expect(await page.evaluate(() => typeof RTCPeerConnection)).toBe('undefined');
		await expect(page.getByTestId('directory-status')).toHaveText('Live');

		// Anything that ever shows "You are here" is caught, however briefly.
		await page.evaluate(() => {
			const w = window as unknown as { __sawHere: boolean };
			w.__sawHere = false;
			new MutationObserver(() => {
				if (document.body.textContent?.includes('You are here')) w.__sawHere = true;
			}).observe(document.body, { subtree: true, childList: true, characterData: true });
		});

		await joinLobby(page).click();
		const alert = page.getByRole('alert').filter({ hasText: UNSUPPORTED });
		await expect(alert).toBeVisible();
		await expect(alert).toContainText('current Safari, Chrome, Firefox or Edge');
		// For good: a retrying join would ask for tokens within a few seconds (backoff 0.5-8 s).
		await page.waitForTimeout(5000);
		await expect(alert).toBeVisible();
		expect(tokenRequests).toEqual([]);
		expect(firstScreenJs(await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name))).livekitLoaded).toBe(false);
		await expect(page.getByRole('region', { name: 'Call controls' })).toHaveCount(0);
		await expect(joinLobby(page)).toContainText('Join');
		expect(await page.evaluate(() => (window as unknown as { __sawHere: boolean }).__sawHere)).toBe(false);

		// The list stays live: bob, in a browser that can call, joins and alice sees him.
		const bob = await newPerson(browser, 'bob.test');
		try {
			await joinLobby(bob.page).click();
			await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
			await expect(lobby(page).locator('.person', { hasText: '@bob.test' })).toBeVisible({ timeout: 5000 });
			await expect(page.getByTestId('directory-status')).toHaveText('Live');
			await bob.page.getByRole('button', { name: 'Leave channel' }).click();
			await expect(lobby(page).locator('.person', { hasText: '@bob.test' })).toHaveCount(0, { timeout: 5000 });
		} finally {
			await bob.context.close();
		}

		await page.getByRole('link', { name: 'Settings' }).click();
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/connect$/);
		expect(tokenRequests).toEqual([]);
		await alice.close();
	});
});

test.describe('a browser that refuses to start sound', () => {
	test.describe.configure({ mode: 'serial' });
	let strict: Browser;
	let alice: Awaited<ReturnType<typeof newPerson>>;

	test.beforeAll(async ({ browser, browserName, playwright, launchOptions, pageErrorCollector }) => {
		test.setTimeout(90_000);
		const browserType = playwright[browserName];
		strict = await browserType.launch(refusingAutoplay(browserType, launchOptions));
		// Its pages fail the tests on the app's errors too, as the project's browser's do.
		watchBrowser(strict, pageErrorCollector);
		// Alice talks (a 440 Hz tone) from a browser that may play sound.
		alice = await newPerson(browser, 'alice.test', { tone: ALICE });
		await joinLobby(alice.page).click();
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected');
	});

	test.afterAll(async () => {
		await alice?.context.close();
		await strict?.close();
	});

	async function bobJoins() {
		const bob = await newPerson(strict, 'bob.test', { tone: BOB });
		await joinLobby(bob.page).click();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
		return bob;
	}

	// Chromium lets a page start sound after any tap in it, and Playwright's own actions count
	// as taps there (they run with `userGesture`), so a join without one cannot be staged: this
	// proves the flow a person sees. That the call's AudioContext is opened synchronously in
	// the Join tap, as Safari requires, is proven in voice-room.svelte.spec.ts.
	test('without the autoplay flag, the Join tap starts the sound: no banner, alice is heard', async () => {
		const bob = await bobJoins();
		try {
			await expect.poll(() => heardLevel(bob.page, ALICE), { timeout: 15_000 }).toBeGreaterThan(-70);
			expect(await soundMoves(bob.page)).toBe(true);
			await expect(bob.page.getByRole('button', { name: 'Tap to enable audio' })).toHaveCount(0);
			// One AudioContext plays the call, and leaving closes it.
			const states = () => bob.page.evaluate(() => window.__taps.map((t) => t.context.state));
			expect(await states()).toEqual(['running']);
			await bob.page.getByRole('button', { name: 'Leave channel' }).click();
			await expect.poll(states).toEqual(['closed']);
		} finally {
			await bob.context.close();
		}
	});

	test('"Tap to enable audio" appears when the call\'s sound is suspended, and one tap makes alice heard again', async () => {
		const bob = await bobJoins();
		try {
			await expect.poll(() => heardLevel(bob.page, ALICE), { timeout: 15_000 }).toBeGreaterThan(-70);
			const enable = bob.page.getByRole('button', { name: 'Tap to enable audio' });
			await expect(enable).toHaveCount(0);

			// The browser suspends the call's AudioContext, as iOS does on an interruption (a phone
			// call, Siri) and as Safari keeps a context that started outside a tap.
			expect(await bob.page.evaluate(() => Promise.all(window.__taps.map((t) => (t.context as AudioContext).suspend())).then(() => window.__taps.length))).toBe(1);
			await expect(enable).toBeVisible();
			expect(await soundMoves(bob.page)).toBe(false);

			await enable.click();
			await expect(enable).toHaveCount(0);
			await expect.poll(() => soundMoves(bob.page), { timeout: 5000 }).toBe(true);
			expect(await heardLevel(bob.page, ALICE)).toBeGreaterThan(-70);
			expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);
			await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		} finally {
			await bob.context.close();
		}
	});
});
