// End-to-end encrypted calls against the real stack: alice and bob (the app, Chromium or
// Firefox) hear each other; a third participant that the test joins itself, with a token it
// mints and no key, receives LiveKit's packets but not the tone (the SFU carries ciphertext);
// the call code is the same on both screens and changes when someone joins or leaves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { AccessToken } from 'livekit-server-sdk';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { installAudioProbes, nearTone, receivedPeak } from './voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const ALICE = 440;
const BOB = 880;
const LIVEKIT_CLIENT = join(import.meta.dirname, '..', '..', 'node_modules', 'livekit-client', 'dist', 'livekit-client.umd.js');

async function person(browser: Browser, handle: string, tone: number): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return { context, page };
}

const lobby = (page: Page) => page.locator('[data-channel="lobby"]');
const code = (page: Page) => page.getByTestId('call-code').locator('.digits');

/** A LiveKit participant of the test's own: livekit-client without E2EE on a blank page, a token the test signs. */
async function eavesdropper(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.addScriptTag({ content: readFileSync(LIVEKIT_CLIENT, 'utf8') });
	const at = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { identity: 'did:example:eavesdropper', name: 'eve.test', ttl: 300 });
	at.addGrant({ roomJoin: true, room: 'lobby', canSubscribe: true, canPublish: false });
	await page.evaluate(
		async ({ url, token }) => {
			const LK = (window as unknown as { LivekitClient: typeof import('livekit-client') }).LivekitClient;
			const room = new LK.Room();
			const w = window as unknown as { __tracks: MediaStreamTrack[]; __receivers: RTCRtpReceiver[]; __room: typeof room };
			w.__room = room;
			w.__tracks = [];
			w.__receivers = [];
			room.on(LK.RoomEvent.TrackSubscribed, (track) => {
				if (track.kind !== 'audio') return;
				track.attach(); // Chromium pulls remote audio only for a playing element
				w.__tracks.push(track.mediaStreamTrack);
				if (track.receiver) w.__receivers.push(track.receiver);
			});
			await room.connect(url, token);
		},
		{ url: stack.livekit.url, token: await at.toJwt() }
	);
	return { context, page };
}

/**
 * What the eavesdropper receives: packets, and how far each tone stands out of the decoded
 * audio (dB above the median of 100-4000 Hz). A received tone stands 95-108 dB out (seen with encryption turned off); ciphertext
 * decoded as Opus is broadband noise, whose loudest bin may fall anywhere (even near 440 Hz),
 * so the test asks how far the tone rises above the noise, not where the loudest bin is.
 */
function overheard(page: Page, tones: number[]): Promise<{ packets: number; prominence: number[]; peakHz: number }> {
	return page.evaluate(async (tones) => {
		const w = window as unknown as { __tracks: MediaStreamTrack[]; __receivers: RTCRtpReceiver[] };
		let packets = 0;
		for (const r of w.__receivers) (await r.getStats()).forEach((s: { type: string; packetsReceived?: number }) => s.type === 'inbound-rtp' && (packets += s.packetsReceived ?? 0));
		const ctx = new AudioContext();
		await ctx.resume();
		const analysers = w.__tracks.map((t) => {
			const a = ctx.createAnalyser();
			a.fftSize = 8192;
			a.smoothingTimeConstant = 0.8;
			ctx.createMediaStreamSource(new MediaStream([t])).connect(a);
			return a;
		});
		await new Promise((r) => setTimeout(r, 600));
		const prominence = tones.map(() => -Infinity);
		let best = { db: -Infinity, hz: 0 };
		for (const a of analysers) {
			const bins = new Float32Array(a.frequencyBinCount);
			a.getFloatFrequencyData(bins);
			const hzOf = (i: number) => (i * ctx.sampleRate) / a.fftSize;
			const band = [...bins].filter((_, i) => hzOf(i) >= 100 && hzOf(i) <= 4000).sort((x, y) => x - y);
			const median = band[Math.floor(band.length / 2)]!;
			tones.forEach((hz, t) => {
				const i = Math.round((hz * a.fftSize) / ctx.sampleRate);
				prominence[t] = Math.max(prominence[t]!, Math.max(bins[i - 1]!, bins[i]!, bins[i + 1]!) - median);
			});
			bins.forEach((db, i) => {
				if (db > best.db) best = { db, hz: hzOf(i) };
			});
		}
		await ctx.close();
		return { packets, prominence, peakHz: best.hz };
	}, tones);
}

test.describe.configure({ mode: 'serial' });

test.describe('end-to-end encrypted calls', () => {
	let alice: { context: BrowserContext; page: Page };
	let bob: { context: BrowserContext; page: Page };
	let eve: { context: BrowserContext; page: Page } | undefined;

	test.beforeAll(async ({ browser }) => {
		test.setTimeout(90_000);
		alice = await person(browser, 'alice.test', ALICE);
		bob = await person(browser, 'bob.test', BOB);
	});

	test.afterAll(async () => {
		for (const p of [alice, bob, eve]) await p?.context.close();
	});

	test('alice and bob hear each other’s tone through encrypted media, and see the same call code with a lock', async () => {
		await lobby(alice.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(code(alice.page)).toHaveText(/^\d{5}( \d{5}){5}$/); // alone: a code of one
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
		await expect.poll(() => receivedPeak(bob.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);
		await expect.poll(() => receivedPeak(alice.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(BOB, -1);
		const bobs = (await code(bob.page).textContent())!;
		await expect(code(alice.page)).toHaveText(bobs);
		await expect(alice.page.getByTestId('waiting-key')).toHaveCount(0);
	});

	test('screenshots of the dock with the call code at phone and desktop sizes, no horizontal scroll', async ({}, info) => {
		for (const [name, size] of [
			['phone', { width: 390, height: 844 }],
			['desktop', { width: 1280, height: 800 }]
		] as const) {
			await alice.page.setViewportSize(size);
			await expect(code(alice.page)).toBeVisible();
			expect(await alice.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
			await alice.page.screenshot({ path: info.outputPath(`call-code-${name}.png`) });
		}
		await alice.page.setViewportSize({ width: 390, height: 844 });
	});

	test('a participant with a token of its own and no key receives packets but not the tone; both see who is waiting, and the code changes', async ({ browser }) => {
		const before = (await code(alice.page).textContent())!;
		eve = await eavesdropper(browser);
		await expect(alice.page.getByTestId('waiting-key')).toHaveText('Waiting for eve.test’s key…');
		await expect(bob.page.getByTestId('waiting-key')).toHaveText('Waiting for eve.test’s key…');
		await expect(code(alice.page)).not.toHaveText(before);
		await expect(code(bob.page)).toHaveText((await code(alice.page).textContent())!);

		await expect.poll(async () => (await overheard(eve!.page, [])).packets, { timeout: 15_000 }).toBeGreaterThan(100);
		for (let i = 0; i < 3; i++) {
			const heard = await overheard(eve.page, [ALICE, BOB]);
			const [a, b] = heard.prominence.map((db) => db.toFixed(0));
			console.log(`[e2ee] eavesdropper: ${heard.packets} packets; 440 Hz ${a} dB and 880 Hz ${b} dB above the noise; loudest ${heard.peakHz.toFixed(0)} Hz`);
			for (const db of heard.prominence) expect(db).toBeLessThan(40); // noise: up to 23 dB seen; a tone that arrives: 95+ dB
		}
		// The people in the call still hear each other.
		expect(nearTone(await receivedPeak(bob.page), ALICE)).toBe(true);

		// Eve leaves the way an app does (a closed Firefox tab is noticed by LiveKit only when its
		// connection times out, ~20 s later).
		await eve.page.evaluate(() => (window as unknown as { __room: { disconnect(): Promise<void> } }).__room.disconnect());
		await eve.context.close();
		eve = undefined;
		await expect(code(alice.page)).toHaveText(before); // back to the same two keys
		await expect(code(bob.page)).toHaveText(before);
		await expect(alice.page.getByTestId('waiting-key')).toHaveCount(0);
	});

	test('bob leaving changes alice’s code; bob rejoining (a new key pair) gives a code never seen before, equal on both', async () => {
		const two = (await code(alice.page).textContent())!;
		await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(code(alice.page)).not.toHaveText(two);
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(code(bob.page)).toHaveText(/^\d{5}( \d{5}){5}$/);
		await expect.poll(async () => (await code(bob.page).textContent()) === (await code(alice.page).textContent()), { timeout: 10_000 }).toBe(true);
		expect(await code(alice.page).textContent()).not.toBe(two);
		await expect.poll(() => receivedPeak(bob.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);
	});
});

test('a browser that cannot encrypt media says so on Join and asks the server for nothing (no plain fallback)', async ({ browser }) => {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	try {
		// As a browser without encoded transforms: neither Chromium's encoded streams nor RTCRtpScriptTransform.
		await context.addInitScript(() => {
			delete (RTCRtpSender.prototype as unknown as Record<string, unknown>).createEncodedStreams;
			delete (window as unknown as Record<string, unknown>).RTCRtpScriptTransform;
		});
		const page = await context.newPage();
		await signIn(page, account(stack, 'alice.test'));
		const tokenRequests: string[] = [];
		page.on('request', (r) => r.url().includes('GetChannelToken') && tokenRequests.push(r.url()));
		await lobby(page).getByRole('button', { name: /Lobby/ }).click();
		await expect(page.getByText("This browser can't join encrypted calls.")).toBeVisible();
		expect(tokenRequests).toEqual([]);
	} finally {
		await context.close();
	}
});

