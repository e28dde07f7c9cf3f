// End-to-end encrypted calls against the real stack: alice and bob (the app, Chromium or
// Firefox) hear each other; a third participant that the test joins itself, with a token it
// mints and no key, receives LiveKit's packets but not the tone (the SFU carries ciphertext);
// the call code is the same on both screens and changes when someone joins or leaves; a
// participant of the test's own, given alice's key of before bob's leave, hears her with it
// before the leave and not after (e2ee-probes.ts reads the keys the page hands LiveKit's worker);
// in Chromium the frames a keyless participant receives end in LiveKit's E2EE trailer.
import { createECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import { armToneArrival, installAudioProbes, nearTone, receivedPeak, toneArrival } from './voice-audio.ts';
import { frameReader, keyedListener, ownKeys, recordMediaKeys, trailerOf, type EncodedFrame, type FrameReader, type Listener } from './e2ee-probes.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stack = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const ALICE = 440;
const BOB = 880;
/** A room of the test's own for a plain (unencrypted) call, beside the app's channels. */
const PLAIN_ROOM = 'e2ee-test-plain';
const LIVEKIT_CLIENT = join(import.meta.dirname, '..', '..', 'node_modules', 'livekit-client', 'dist', 'livekit-client.umd.js');

async function person(browser: Browser, handle: string, tone: number): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone });
	await recordMediaKeys(context);
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	return { context, page };
}

/**
 * A split view: everything LiveKit's signalling tells this context about participants' public
 * keys (attribute "e2ee.pk", base64url of a 65-byte point, inside protobuf) is swapped for one
 * other valid P-256 key of the same length, as a server showing one person different keys would.
 */
async function showOtherKeys(context: BrowserContext): Promise<void> {
	const ecdh = createECDH('prime256v1');
	ecdh.generateKeys();
	const other = Buffer.from(ecdh.getPublicKey().toString('base64url'));
	const name = Buffer.from('e2ee.pk');
	await context.routeWebSocket(
		(url) => url.pathname.startsWith('/rtc'),
		(ws) => {
			const server = ws.connectToServer();
			ws.onMessage((m) => server.send(m));
			server.onMessage((m) => {
				if (typeof m === 'string') return ws.send(m);
				const out = Buffer.from(m);
				// map entry: key "e2ee.pk", then field 2 (0x12), its length, the value
				for (let at = out.indexOf(name); at >= 0; at = out.indexOf(name, at + 1)) {
					const v = at + name.length;
					if (out[v] === 0x12 && out[v + 1] === other.length) other.copy(out, v + 2);
				}
				ws.send(out);
			});
		}
	);
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
	let listener: Listener | undefined;
	let reader: FrameReader | undefined;

	const rooms = new RoomServiceClient(stack.livekit.httpUrl, stack.livekit.apiKey, stack.livekit.apiSecret);

	test.beforeAll(async ({ browser }) => {
		test.setTimeout(90_000);
		// The e2e stack caps a channel at two people (global-setup.ts), in the API server and in
		// the LiveKit room its first token creates. The test's own participants (eve) are a third,
		// joining LiveKit directly: the test makes the room itself first, without the cap (the
		// API server's own cap still counts alice and bob only).
		await rooms.deleteRoom('lobby').catch(() => {});
		await rooms.createRoom({ name: 'lobby', maxParticipants: 0, emptyTimeout: 600, departureTimeout: 600 });
		alice = await person(browser, 'alice.test', ALICE);
		bob = await person(browser, 'bob.test', BOB);
	});

	test.afterAll(async () => {
		for (const p of [alice, bob, eve]) await p?.context.close();
		for (const p of [listener, reader]) await p?.close();
		await rooms.deleteRoom(PLAIN_ROOM).catch(() => {});
		await rooms.deleteRoom('lobby').catch(() => {}); // the next file's lobby has the stack's cap again
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

	test('a late joiner hears alice within 2 s of clicking Join', async () => {
		await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(lobby(bob.page).getByRole('button', { name: /Lobby/ })).toBeVisible();
		await expect.poll(async () => nearTone(await receivedPeak(bob.page), ALICE)).toBe(false);
		await armToneArrival(bob.page, ALICE);
		const clicked = await bob.page.evaluate(() => performance.now());
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		const ms = (await toneArrival(bob.page)) - clicked;
		console.log(`[e2ee] late joiner: alice's tone ${ms.toFixed(0)} ms after Join`);
		expect(ms).toBeGreaterThan(0);
		expect(ms).toBeLessThan(2000);
	});

	test('a person who leaves, then is given the old key by the test, cannot decrypt what is said after the leave', async ({ browser }) => {
		test.setTimeout(90_000);
		// The leaver is played by a listener of the test's own, which holds exactly the key that
		// bob held while he was in the call (alice's media key before his leave). It stays in the
		// room, so the only rotation it misses is the one bob's leave makes.
		const used = (await ownKeys(alice.page)).length;
		listener = await keyedListener(browser, stack, 'lobby');
		// Its join rotates alice's key too (nobody can seal one to it): wait for her switch, then
		// give it the key she sends with now.
		await expect.poll(async () => (await ownKeys(alice.page)).length, { timeout: 15_000 }).toBeGreaterThan(used);
		const before = (await ownKeys(alice.page)).at(-1)!;
		await listener.giveKey(before.identity, before.raw);
		// The positive control: with the key in use, it does hear alice's tone.
		await expect.poll(() => receivedPeak(listener!.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);

		const beforeLeave = (await ownKeys(alice.page)).length;
		await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(lobby(bob.page).getByRole('button', { name: /Lobby/ })).toBeVisible();
		await expect.poll(async () => (await ownKeys(alice.page)).length, { timeout: 15_000 }).toBeGreaterThan(beforeLeave);
		const after = (await ownKeys(alice.page)).at(-1)!;
		expect(after.raw).not.toEqual(before.raw);
		// What is said after the leave's rotation: packets keep arriving, no 440 Hz in them
		// (the old key sits at every key index, so a new index alone would not hide the tone).
		await expect.poll(async () => nearTone(await receivedPeak(listener!.page), ALICE), { timeout: 5_000 }).toBe(false);
		const packets = await listener.packets();
		for (let i = 0; i < 5; i++) {
			const hz = await receivedPeak(listener.page);
			console.log(`[e2ee] old key after the leave: loudest ${hz.toFixed(0)} Hz (0 = silence)`);
			expect(nearTone(hz, ALICE)).toBe(false);
		}
		expect(await listener.packets()).toBeGreaterThan(packets + 50);
		// And with the new key (which bob never received) the same listener hears her again:
		// the silence was the key, not a broken listener.
		await listener.giveKey(after.identity, after.raw);
		await expect.poll(() => receivedPeak(listener!.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);

		await listener.leave();
		listener = undefined;
		await expect(alice.page.getByTestId('waiting-key')).toHaveCount(0);
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
		await expect.poll(() => receivedPeak(bob.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);
	});

	test('in Chromium, a participant without the key reads encoded frames that end in LiveKit’s E2EE trailer; a plain call’s frames do not', async ({ browser, browserName }) => {
		test.skip(browserName !== 'chromium', 'reads frames through encoded streams (createEncodedStreams), which only Chromium has');
		reader = await frameReader(browser, stack);
		await reader.join('lobby', 'did:example:reader');
		const aliceId = (await ownKeys(alice.page))[0]!.identity;
		await expect.poll(async () => (await reader!.frames(aliceId)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(100);
		const sealed = await reader.frames(aliceId);
		// A plain call in the same browser: the reader publishes a tone in a room of its own and
		// receives it in a second connection, without E2EE.
		await reader.join(PLAIN_ROOM, 'did:example:plain-sender', ALICE);
		await reader.join(PLAIN_ROOM, 'did:example:plain-reader');
		await expect.poll(async () => (await reader!.frames('did:example:plain-sender')).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(100);
		const plain = await reader.frames('did:example:plain-sender');

		// The reader's join rotated alice's key: her frames carry the index of her last key or the one before.
		const indices = new Set((await ownKeys(alice.page)).slice(-2).map((k) => k.index));
		const report = (frames: EncodedFrame[]) => {
			const t = frames.map(trailerOf);
			return {
				frames: frames.length,
				trailers: t.filter((x) => x.ivLength === 12 && indices.has(x.keyIndex)).length,
				keyIndices: [...new Set(t.map((x) => x.keyIndex))],
				ivSsrcs: new Set(t.map((x) => x.ivSsrc)).size,
				// The IV's timestamp word against the frame's RTP timestamp: one offset (the SFU's
				// rewrite) when it is the sender's RTP timestamp, as LiveKit writes it.
				ivTimestampOffsets: new Set(frames.map((f, i) => (t[i]!.ivTimestamp - f.rtpTimestamp) >>> 0)).size,
				shortest: Math.min(...frames.map((f) => f.bytes.length))
			};
		};
		const [s, p] = [report(sealed), report(plain)];
		console.log(`[e2ee] encoded frames: alice's (sealed) ${JSON.stringify(s)}; plain call ${JSON.stringify(p)}; alice's key indices ${[...indices].join(',')}`);
		// Every frame of alice's: TOC byte, ciphertext with its 16-byte tag, the 12-byte IV, IV
		// length 12, and the index of a key alice sent with.
		expect(s.trailers).toBe(s.frames);
		expect(s.shortest).toBeGreaterThanOrEqual(1 + 16 + 12 + 2);
		expect(s.ivSsrcs).toBe(1);
		expect(s.ivTimestampOffsets).toBe(1);
		// Plain Opus frames end in audio data: that layout is chance there (1 in 256 a byte).
		expect(p.trailers).toBeLessThan(p.frames / 10);
		expect(p.ivTimestampOffsets).toBeGreaterThan(p.frames / 2);
		await reader.close();
		reader = undefined;
		await rooms.deleteRoom(PLAIN_ROOM).catch(() => {});
		await expect(alice.page.getByTestId('waiting-key')).toHaveCount(0);
	});

	test('a split view: bob shown another public key for alice gets a different call code than alice', async () => {
		await bob.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(lobby(bob.page).getByRole('button', { name: /Lobby/ })).toBeVisible();
		await expect(alice.page.getByTestId('waiting-key')).toHaveCount(0);
		const alone = (await code(alice.page).textContent())!;
		await showOtherKeys(bob.context);
		await lobby(bob.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected');
		await expect(code(alice.page)).not.toHaveText(alone); // alice sees bob
		await expect(code(bob.page)).toHaveText(/^\d{5}( \d{5}){5}$/);
		// Neither opens the other's envelopes (each sealed for a key the other does not hold): both wait.
		await expect(bob.page.getByTestId('waiting-key')).toHaveText(/Waiting for .+’s key…/);
		const [a, b] = [(await code(alice.page).textContent())!, (await code(bob.page).textContent())!];
		console.log(`[e2ee] split view: alice ${a}, bob ${b}`);
		expect(b).not.toBe(a);
	});

	test('a channel the server declares not encrypted says "Not encrypted" in the dock, shows no call code, and they hear each other', async ({}, info) => {
		const openMic = (page: Page) => page.locator('[data-channel="open-mic"]');
		for (const p of [alice, bob]) {
			await p.page.getByRole('button', { name: 'Leave channel' }).click();
			await expect(lobby(p.page).getByRole('button', { name: /Lobby/ })).toBeVisible();
		}
		for (const p of [alice, bob]) {
			await openMic(p.page).getByRole('button', { name: /Open mic/ }).click();
			await expect(p.page.getByTestId('call-status')).toHaveText('Connected');
		}
		await expect.poll(() => receivedPeak(bob.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(ALICE, -1);
		await expect.poll(() => receivedPeak(alice.page), { timeout: 15_000, intervals: [200] }).toBeCloseTo(BOB, -1);
		for (const p of [alice, bob]) {
			await expect(p.page.getByTestId('call-not-encrypted')).toHaveText('Not encrypted');
			await expect(p.page.getByTestId('call-code')).toHaveCount(0);
			await expect(p.page.getByTestId('waiting-key')).toHaveCount(0);
		}
		expect(await alice.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
		await alice.page.screenshot({ path: info.outputPath('not-encrypted-phone.png') });
		// Back in an encrypted channel, the lock and the code again.
		await alice.page.getByRole('button', { name: 'Leave channel' }).click();
		await lobby(alice.page).getByRole('button', { name: /Lobby/ }).click();
		await expect(code(alice.page)).toHaveText(/^\d{5}( \d{5}){5}$/);
		await expect(alice.page.getByTestId('call-not-encrypted')).toHaveCount(0);
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

