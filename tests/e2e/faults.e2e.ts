// The fault suite: two people signed in and talking (alice 440 Hz, bob 880 Hz, each in their
// own browser context) while parts of the real stack stop, crash and come back. After each
// fault: nobody is signed out (same stored session), the channel list is live again with both
// in Lobby, both hear each other again, and the time to recover is printed ("[faults] ...").
// LiveKit's restart is in voice.e2e.ts, with the other call tests.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { test, expect, type PageErrors } from './fixtures.ts';
import { escapeRegExp, livekitOutageLogs } from './page-errors.ts';
import { account, openSignInPopup, passPdsSignIn, signIn, storedAppState } from './sign-in.ts';
import { energyGrowth, installAudioProbes, nearTone, receivedPeak } from './voice-audio.ts';
import { ensurePartUp, startPart, stopPart } from './voice-stack.ts';
import { scriptSignIn } from '../../bench/script-session.ts';
import { ChannelsService } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { StackInfo } from '../../scripts/stack/index.ts';

const ALICE = 440;
const BOB = 880;

interface Person {
	handle: string;
	tone: number;
	context: BrowserContext;
	page: Page;
	/** Which account on which server the browser is signed in to: it must survive every fault. */
	record: { did: string; serverUrl: string };
}

interface StoredSession {
	did: string;
	serverUrl: string;
	token: string;
	expiresAt: number;
}

const session = async (p: Person) => (await storedAppState(p.page)).session as StoredSession | undefined;
const lobby = (page: Page) => page.locator('[data-channel="lobby"]');
const inLobby = (page: Page, handle: string) => lobby(page).locator('.person', { hasText: `@${handle}` });
const listStatus = (p: Person) => p.page.getByTestId('directory-status');
const callStatus = (p: Person) => p.page.getByTestId('call-status');

async function person(browser: Browser, stack: StackInfo, handle: string, tone?: number): Promise<Person> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	if (tone) await installAudioProbes(context, { tone });
	const page = await context.newPage();
	await signIn(page, account(stack, handle));
	const stored = await storedAppState(page);
	const { did, serverUrl } = stored.session as StoredSession;
	return { handle, tone: tone ?? 0, context, page, record: { did, serverUrl } };
}

async function join(p: Person): Promise<void> {
	await lobby(p.page).getByRole('button', { name: /Lobby/ }).click();
	await expect(callStatus(p)).toHaveText('Connected', { timeout: 30_000 });
}

async function hearEachOther(a: Person, b: Person, timeout = 60_000): Promise<void> {
	await expect.poll(async () => nearTone(await receivedPeak(b.page), a.tone), { timeout, intervals: [200] }).toBe(true);
	await expect.poll(async () => nearTone(await receivedPeak(a.page), b.tone), { timeout, intervals: [200] }).toBe(true);
	expect(await energyGrowth(a.page)).toBeGreaterThan(0.01);
	expect(await energyGrowth(b.page)).toBeGreaterThan(0.01);
}

/** Still signed in: no sign-in screen, the same stored account and server. */
async function stillSignedIn(p: Person): Promise<void> {
	await expect(p.page).not.toHaveURL(/\/connect/);
	await expect(p.page.getByText(`Signed in as @${p.handle}`)).toBeVisible();
	const stored = await session(p);
	expect(stored && { did: stored.did, serverUrl: stored.serverUrl }, `${p.handle}'s stored session`).toEqual(p.record);
}

/**
 * Everything back after a fault: both signed in as before, both lists live with both people
 * in Lobby, both calls connected, each hearing the other's tone. Prints and returns the time
 * from `since` (when the fault began) and from `back` (when the part was up again).
 */
async function recovered(label: string, people: Person[], since: number, back = since): Promise<number> {
	for (const p of people) {
		await expect(listStatus(p)).toHaveText('Live', { timeout: 90_000 });
		await expect(callStatus(p)).toHaveText('Connected', { timeout: 60_000 });
	}
	const [a, b] = people as [Person, Person];
	await hearEachOther(a, b);
	const done = Date.now();
	for (const p of people) {
		await stillSignedIn(p);
		for (const q of people) await expect(inLobby(p.page, q.handle)).toBeVisible({ timeout: 10_000 });
	}
	console.log(`[faults] ${label}: recovered (list live, both in Lobby, both hear each other) ${done - since} ms after the fault began${back !== since ? `, ${done - back} ms after it ended` : ''}`);
	return done - since;
}


/**
 * What a fault provokes on purpose in the app's pages, declared so that the page-error check
 * (fixtures.ts) still fails on anything else: the browser's reports of requests to the part
 * that is down, and livekit-client's own log of its failed reconnection attempts.
 */
function expectOutageOf(pageErrors: PageErrors, ...origins: string[]): void {
	for (const origin of origins) pageErrors.expectFailedRequest(new RegExp(`${escapeRegExp(origin)}/.*`));
}

function expectOffline(pageErrors: PageErrors, stack: StackInfo): void {
	const sfu = escapeRegExp(new URL(stack.livekit.url).host);
	pageErrors.expect(/net::ERR_INTERNET_DISCONNECTED/);
	// Firefox names no offline state: each request with no answer, to the API server or LiveKit.
	expectOutageOf(pageErrors, stack.server, new URL(stack.livekit.httpUrl).origin);
	pageErrors.expectFailedSocket(new RegExp(`wss?://${sfu}/rtc\\b.*`));
	pageErrors.expect(livekitOutageLogs('lobby'));
}

// Not serial: after a failed case the next one starts from a fresh pair of people.

test.describe('faults mid-call', () => {
	let alice: Person;
	let bob: Person;

	test.beforeAll(async ({ browser, stack }) => {
		test.setTimeout(120_000);
		alice = await person(browser, stack, 'alice.test', ALICE);
		bob = await person(browser, stack, 'bob.test', BOB);
		await join(alice);
		await join(bob);
		await hearEachOther(alice, bob);
	});

	test.beforeEach(async () => {
		for (const p of [alice, bob]) {
			await expect(callStatus(p)).toHaveText('Connected');
			await expect(listStatus(p)).toHaveText('Live');
		}
		await hearEachOther(alice, bob, 10_000);
	});

	// A case that fails half-way must not leave a part down for the next one.
	test.afterEach(async () => {
		for (const part of ['pds', 'api', 'envoy'] as const) await ensurePartUp(part);
	});

	test.afterAll(async () => {
		for (const p of [alice, bob]) await p?.context.close();
	});

	test('API server stopped (SIGTERM) and started: sessions stay valid, list and call recover', async ({ stack, pageErrors }) => {
		test.setTimeout(150_000);
		expectOutageOf(pageErrors, stack.server);
		// A session JWT issued before the restart: the restarted server must still accept it
		// (its signing key lives in its data dir).
		const before = await scriptSignIn(stack, 'alice.test', createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true }));
		const t0 = Date.now();
		await stopPart(stack, 'api');
		await expect(listStatus(alice)).not.toHaveText('Live', { timeout: 15_000 });
		await expect(listStatus(bob)).not.toHaveText('Live', { timeout: 15_000 });
		await startPart('api');
		const back = Date.now();
		const channels = createClient(
			ChannelsService,
			createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true, interceptors: [(next) => (req) => (req.header.set('authorization', `Bearer ${before.token}`), next(req))] })
		);
		expect((await channels.listChannels({})).channels.map((c) => c.id), 'a JWT issued before the restart').toContain('lobby');
		await recovered('API server SIGTERM + start', [alice, bob], t0, back);
	});

	test('API server killed (SIGKILL) and started: list and call recover, nobody signed out', async ({ stack, pageErrors }) => {
		test.setTimeout(150_000);
		expectOutageOf(pageErrors, stack.server);
		const t0 = Date.now();
		await stopPart(stack, 'api', 'kill');
		await expect(listStatus(alice)).not.toHaveText('Live', { timeout: 15_000 });
		await startPart('api');
		await recovered('API server SIGKILL + start', [alice, bob], t0, Date.now());
	});

	test('Envoy stopped and started: list and call recover, nobody signed out', async ({ stack, pageErrors }) => {
		test.setTimeout(150_000);
		expectOutageOf(pageErrors, stack.server);
		const t0 = Date.now();
		await stopPart(stack, 'envoy');
		await expect(listStatus(alice)).not.toHaveText('Live', { timeout: 15_000 });
		await expect(listStatus(bob)).not.toHaveText('Live', { timeout: 15_000 });
		await startPart('envoy');
		await recovered('Envoy stop + start', [alice, bob], t0, Date.now());
	});

	test('the browser offline for 30 s mid-call, then back: list and call recover', async ({ stack, pageErrors }) => {
		test.setTimeout(150_000);
		expectOffline(pageErrors, stack);
		const t0 = Date.now();
		await alice.context.setOffline(true);
		await expect(listStatus(alice)).not.toHaveText('Live', { timeout: 15_000 });
		await alice.page.waitForTimeout(30_000 - (Date.now() - t0));
		await alice.context.setOffline(false);
		await recovered('browser offline 30 s', [alice, bob], t0, Date.now());
	});

	test('a reload mid-call: the others see them leave within 5 s; back in the list, one tap rejoins', async () => {
		test.setTimeout(120_000);
		const t0 = Date.now();
		await alice.page.reload();
		await expect(inLobby(bob.page, 'alice.test')).toHaveCount(0, { timeout: 5000 });
		console.log(`[faults] reload mid-call: bob saw alice leave ${Date.now() - t0} ms after her reload`);
		await expect(listStatus(alice)).toHaveText('Live');
		await expect(callStatus(alice)).toHaveCount(0);
		await stillSignedIn(alice);
		await lobby(alice.page).getByRole('button', { name: /Lobby/ }).click();
		await recovered('reload mid-call (one tap to rejoin)', [alice, bob], t0);
	});

	test('a reload while the sign-in popup is open: a clear message or a finished sign-in, then a fresh sign-in works', async ({ browser, stack }) => {
		test.setTimeout(120_000);
		const context = await browser.newContext({ baseURL: stack.app, viewport: { width: 390, height: 844 } });
		try {
			const page = await context.newPage();
			const who = account(stack, 'alice.test');
			const popup = await openSignInPopup(page, who.handle);
			await passPdsSignIn(popup, who);
			await page.reload();
			const message = page.getByText('did not finish');
			const signedIn = page.getByText(`Signed in as @${who.handle}`);
			await expect(message.or(signedIn)).toBeVisible();
			const interrupted = await message.isVisible();
			console.log(`[faults] reload with the sign-in popup open: ${interrupted ? 'the app said the sign-in did not finish' : 'the sign-in completed'}`);
			if (interrupted) {
				await expect(page.getByRole('alert').filter({ hasText: 'did not finish' })).toContainText('Sign in again');
				await popup.close();
				await signIn(page, who);
			} else {
				await popup.close();
			}
			await expect(signedIn).toBeVisible();
			expect(((await storedAppState(page)).session as StoredSession).did).toBe(who.did);
		} finally {
			await context.close();
		}
		// The call of the two others went on.
		await hearEachOther(alice, bob, 10_000);
	});

	test('PDS down for 60 s while the JWTs expire and the lists must renew them: nobody is signed out; renewal succeeds once it is back', async ({ stack, pageErrors }) => {
		test.setTimeout(240_000);
		// The PDS is down, and the API server restarts to make renewal due.
		expectOutageOf(pageErrors, stack.pds, stack.server);
		const outageMs = 60_000;
		const t0 = Date.now();
		await stopPart(stack, 'pds');
		// Let both JWTs expire with the PDS down, then make renewal due now: the API server
		// restarts, so both lists re-open their streams and the server refuses the expired JWTs.
		const expiries = await Promise.all([alice, bob].map(async (p) => (await session(p))!.expiresAt));
		const tokensBefore = await Promise.all([alice, bob].map(async (p) => (await session(p))!.token));
		await alice.page.waitForTimeout(Math.max(0, Math.max(...expiries) - Date.now()) + 1000);
		await stopPart(stack, 'api');
		await startPart('api');
		expect(Date.now() - t0, 'renewal fell due while the PDS was still down').toBeLessThan(outageMs);
		await alice.page.waitForTimeout(5000);
		for (const p of [alice, bob]) {
			await stillSignedIn(p);
			await expect(listStatus(p)).not.toHaveText('Live');
			// The call itself needs neither the PDS nor the API server.
			await expect(callStatus(p)).toHaveText('Connected');
		}
		await alice.page.waitForTimeout(Math.max(0, t0 + outageMs - Date.now()));
		for (const [i, p] of [alice, bob].entries()) {
			await stillSignedIn(p);
			expect((await session(p))!.token, 'no renewal can succeed without the PDS').toBe(tokensBefore[i]);
		}
		await startPart('pds');
		const back = Date.now();
		await recovered('PDS down 60 s across a renewal', [alice, bob], t0, back);
		for (const [i, p] of [alice, bob].entries()) {
			const now = await session(p);
			expect(now!.token, `${p.handle}'s JWT was renewed`).not.toBe(tokensBefore[i]);
			expect(now!.expiresAt).toBeGreaterThan(back);
		}
	});
});
