// The production rehearsal (`npm start -- --production`) in a browser, as a person reaches a
// deployment: https names on port 443, the app as a discoverable OAuth client, the server at
// did:web:api.microclimate.lan without dev mode, a real web server's headers, LiveKit over wss.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect, account, readProductionStack, signIn } from './fixtures.ts';
import { installAudioProbes, energyGrowth, nearTone, receivedPeak } from '../e2e/voice-audio.ts';
import { passPdsSignIn } from '../e2e/sign-in.ts';
import { watchBrowser } from '../e2e/fixtures.ts';
import { chromiumArgs, chromiumPath } from '../e2e/browser.ts';
import { chromiumSwitches } from '../../scripts/stack/production/banner.ts';
import { localCertificate } from '../../scripts/stack/tls.ts';
import type { ProductionStackInfo } from '../../scripts/stack/production/index.ts';
import { sendControl } from '../../scripts/stack/control.ts';

const ALICE = 440;
const BOB = 880;
const SIGN_IN_FINISH_MS = 30_000;

interface Person {
	context: BrowserContext;
	page: Page;
}

async function person(browser: Browser, info: ProductionStackInfo, name: string, tone: number, relayOnly = false): Promise<Person> {
	const context = await browser.newContext({ baseURL: info.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	// Added before the audio probes, so their RTCPeerConnection wrapper builds on this one: a
	// phone behind a NAT that only a TURN relay gets through (livekit-client keeps the
	// server's ICE servers and takes the policy from the configuration it passes).
	if (relayOnly) {
		await context.addInitScript(() => {
			const Real = window.RTCPeerConnection;
			window.RTCPeerConnection = class extends Real {
				constructor(config?: RTCConfiguration) {
					super({ ...config, iceTransportPolicy: 'relay' });
				}
				override setConfiguration(config?: RTCConfiguration): void {
					super.setConfiguration({ ...config, iceTransportPolicy: 'relay' });
				}
			} as typeof RTCPeerConnection;
		});
	}
	await installAudioProbes(context, { tone });
	const page = await context.newPage();
	await signIn(page, info, name);
	return { context, page };
}

const lobby = (p: Person) => p.page.locator('[data-channel="lobby"]');

async function join(p: Person): Promise<void> {
	await lobby(p).getByRole('button', { name: /Lobby/ }).click();
	await expect(p.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 30_000 });
}

async function hearEachOther(a: Person, aTone: number, b: Person, bTone: number): Promise<void> {
	await expect.poll(async () => nearTone(await receivedPeak(b.page), aTone), { timeout: 30_000, intervals: [200] }).toBe(true);
	await expect.poll(async () => nearTone(await receivedPeak(a.page), bTone), { timeout: 30_000, intervals: [200] }).toBe(true);
	expect(await energyGrowth(a.page)).toBeGreaterThan(0.01);
	expect(await energyGrowth(b.page)).toBeGreaterThan(0.01);
}

/** The candidate types of each connected peer connection's selected pair (local, remote). */
function selectedPairs(page: Page): Promise<{ local: string; remote: string; url?: string; policy?: string }[]> {
	return page.evaluate(async () => {
		const pairs: { local: string; remote: string; url?: string; policy?: string }[] = [];
		for (const pc of window.__pcs) {
			if (pc.connectionState !== 'connected') continue;
			const stats = await pc.getStats();
			const all = [...stats.values()] as (Record<string, unknown> & { type: string; id: string })[];
			const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
			const pair = transport
				? all.find((s) => s.id === transport.selectedCandidatePairId)
				: all.find((s) => s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded');
			if (!pair) continue;
			const local = all.find((s) => s.id === pair.localCandidateId);
			const remote = all.find((s) => s.id === pair.remoteCandidateId);
			pairs.push({ local: String(local?.candidateType), remote: String(remote?.candidateType), url: local?.url as string | undefined, policy: pc.getConfiguration().iceTransportPolicy });
		}
		return pairs;
	});
}

test.describe('the production rehearsal', () => {
	test('the web server sends the deploy headers on the real responses', async ({ browser, prod, pageErrors }) => {
		// The server's own answers (no service worker, no HTTP cache), read in the page.
		const context = await browser.newContext({ baseURL: prod.app, serviceWorkers: 'block' });
		const page = await context.newPage();
		await page.goto('/');
		const chunk = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => /\/_app\/immutable\/.+\.js$/.test(n)));
		expect(chunk, 'a hashed chunk the page loaded').toBeTruthy();
		const get = (url: string) =>
			page.evaluate(async (url) => {
				const res = await fetch(url, { cache: 'no-store' });
				return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
			}, url);
		const answers = { '/': await get('/'), '/connect': await get('/connect'), 'client-metadata.json': await get('/client-metadata.json'), 'hashed chunk': await get(chunk!) };
		for (const [what, res] of Object.entries(answers)) {
			const h = res.headers;
			expect(res.status, what).toBe(200);
			expect(h['content-security-policy'], what).toContain("frame-ancestors 'none'");
			expect(h['strict-transport-security'], what).toMatch(/max-age=\d{7,}/);
			expect(h['x-content-type-options'], what).toBe('nosniff');
			expect(h['referrer-policy'], what).toBe('no-referrer');
			expect(h['content-encoding'], what).toMatch(/^(br|gzip)$/);
			expect(h['vary'], what).toMatch(/accept-encoding/i);
			expect(h['cache-control'], what).toBe(what === 'hashed chunk' ? 'public, max-age=31536000, immutable' : 'no-cache');
		}
		// /connect is the prerendered form (clean URL), not the SPA fallback.
		expect(answers['/connect'].body).toContain('name="handle"');
		expect(answers['client-metadata.json'].headers['content-type']).toBe('application/json');
		const doc = JSON.parse(answers['client-metadata.json'].body) as { client_id: string; redirect_uris: string[] };
		expect(doc.client_id).toBe(`${prod.app}/client-metadata.json`);
		expect(doc.redirect_uris).toEqual([`${prod.app}/oauth/callback`]);
		// A hashed file that is not there is a 404, never the app's HTML under a .js name.
		pageErrors.expect(/^Failed to load resource: the server responded with a status of 404 .*gone-0000\.js/);
		expect((await get('/_app/immutable/chunks/gone-0000.js')).status).toBe(404);
		await context.close();
	});

	test('sign-in as a discoverable client, the live channel list, and the service worker over https', async ({ page, context, prod, pageErrors }) => {
		const clientId = await signIn(page, prod, 'alice');
		expect(clientId).toBe(`${prod.app}/client-metadata.json`);
		await expect(page.getByTestId('directory-status')).toHaveText('Live');
		await expect(page.locator('[data-channel="lobby"]')).toBeVisible();
		// The service worker registers and takes over on the real certificate's trust.
		const state = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state);
		expect(state).toBe('activated');
		// Offline, the list's calls and the avatar cannot load: the browser reports each.
		pageErrors.expectFailedRequest(/https:\/\/(?:api|pds)\.microclimate\.lan\/.*/);
		await context.setOffline(true);
		await page.reload();
		await expect(page.getByText(`Signed in as @${account(prod, 'alice').handle}`)).toBeVisible();
		await context.setOffline(false);
		await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
	});
});

test.describe('sign-in and bad input on the production rehearsal', () => {
	test('a blocked popup falls back to signing in by redirect, as the discoverable client', async ({ page, prod }) => {
		const alice = account(prod, 'alice');
		// What a popup blocker does: window.open returns null.
		await page.addInitScript(() => {
			window.open = () => null;
		});
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Handle').fill(alice.handle);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL((url) => url.origin === prod.pds);
		expect(new URL(page.url()).searchParams.get('client_id')).toBe(`${prod.app}/client-metadata.json`);
		await passPdsSignIn(page, alice);
		await page.getByRole('button', { name: 'Authorize' }).click();
		await expect(page.getByText(`Signed in as @${alice.handle}`)).toBeVisible({ timeout: SIGN_IN_FINISH_MS });
		expect(new URL(page.url()).origin).toBe(prod.app);
		expect(page.url()).not.toContain('code=');
	});

	test('a server address typed with a path is refused with a message, before any request', async ({ page, prod }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		const host = new URL(prod.server).host;
		await page.getByLabel('Server').fill(`${prod.server}/grpc`);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-status')).toHaveText(`Enter only the server’s host, without a path: ${host} instead of ${host}/grpc.`);
	});

	test('a server address typed with a port is refused with a message, before any request', async ({ page, prod }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		const host = new URL(prod.server).hostname;
		const asked: string[] = [];
		page.on('request', (request) => {
			if (new URL(request.url()).port === '8443') asked.push(request.url());
		});
		await page.getByLabel('Server').fill(`https://${host}:8443`);
		await page.getByRole('button', { name: 'Check' }).click();
		// did:web allows a port only for localhost: the server is known by its name alone.
		await expect(page.getByTestId('server-status')).toHaveText(
			`Enter the server’s name without a port: ${host} instead of ${host}:8443. A server is known by its name alone; a port is allowed only on this computer (localhost).`
		);
		expect(asked).toEqual([]);
	});

	test('a server whose certificate the browser does not trust gets a message, and the connect screen stays usable', async ({ playwright, prod, pageErrors, pageErrorCollector, browserName }) => {
		test.skip(browserName !== 'chromium', 'this suite runs Firefox with ignoreHTTPSErrors (fixtures.ts): it would trust any certificate');
		const alice = account(prod, 'alice');
		// A second name of the rehearsal's domain, served by a small https listener of this
		// test with a certificate from a CA of its own, which the browser was never told to trust.
		const name = `untrusted.${new URL(prod.server).hostname.split('.').slice(1).join('.')}`;
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microclimate-untrusted-'));
		const cert = localCertificate(dir, [name]);
		const refusedHandshakes: string[] = [];
		const listener = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('not Microclimate'));
		listener.on('tlsClientError', (error) => refusedHandshakes.push(error.message));
		await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
		const port = (listener.address() as AddressInfo).port;
		// The same switches as the banner's command line, with this name mapped first to the listener.
		const args = [...chromiumArgs, ...chromiumSwitches(prod).map((s) => s.replace('--host-resolver-rules=MAP ', `--host-resolver-rules=MAP ${name}:443 127.0.0.1:${port},MAP `))];
		const browser = await playwright.chromium.launch({ executablePath: chromiumPath(), args });
		const unwatch = watchBrowser(browser, pageErrorCollector);
		try {
			const context = await browser.newContext({ baseURL: prod.app });
			const page = await context.newPage();
			pageErrors.expectFailedRequest(new RegExp(`https://${name.replaceAll('.', '\\.')}/[^)]*`));
			await page.goto('/connect');
			await expect(page.getByTestId('server-name')).toBeVisible();
			await page.getByLabel('Handle').fill(alice.handle);
			await page.getByLabel('Server').fill(`https://${name}`);
			await page.getByRole('button', { name: 'Check' }).click();
			await expect(page.getByTestId('server-status')).toHaveText(`Can't reach ${name}. Check the address and your connection.`);
			// It did reach the listener: the browser refused the certificate in the handshake.
			expect(refusedHandshakes.length).toBeGreaterThan(0);
			await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
			// The way forward: nothing typed is lost, and the right server is one check away.
			await expect(page.getByLabel('Handle')).toHaveValue(alice.handle);
			await page.getByLabel('Server').fill(prod.server);
			await page.getByRole('button', { name: 'Check' }).click();
			await expect(page.getByTestId('server-name')).toBeVisible();
			await expect(page.getByLabel('Handle')).toHaveValue(alice.handle);
			await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
			await context.close();
		} finally {
			unwatch();
			await browser.close();
			listener.close();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});

	test('a PDS that is down during sign-in gets a message, and signing in works once it is back', async ({ page, prod, pageErrors }) => {
		test.setTimeout(120_000);
		const alice = account(prod, 'alice');
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Handle').fill(alice.handle);
		// The front door answers for the PDS with 502 (no CORS headers) while it is down: each
		// engine reports the refused lookup.
		pageErrors.expectFailedRequest(/https:\/\/pds\.microclimate\.lan\/xrpc\/com\.atproto\.identity\.resolveHandle[^)]*/);
		pageErrors.expect(/has been blocked by CORS policy/);
		pageErrors.expect(/Cross-Origin Request Blocked/, 'uncaught');
		await sendControl('pds/stop');
		try {
			await page.getByRole('button', { name: 'Sign in' }).click();
			// Not "couldn't find the account": the handle is fine, its server does not answer.
			await expect(page.locator('#sign-in-message')).toHaveText(
				`Can’t reach the service that finds @${alice.handle} right now. Check your connection, or try again in a moment.`,
				{ timeout: 30_000 }
			);
		} finally {
			await sendControl('pds/start');
		}
		const popupEvent = page.waitForEvent('popup');
		await page.getByRole('button', { name: 'Sign in' }).click();
		const popup = await popupEvent;
		await passPdsSignIn(popup, alice);
		await popup.getByRole('button', { name: 'Authorize' }).click();
		await expect(page.getByText(`Signed in as @${alice.handle}`)).toBeVisible({ timeout: SIGN_IN_FINISH_MS });
	});

	test('the server answers gRPC-Web only to the app\'s origin (CORS)', async ({ page, prod, pageErrors }) => {
		const call = (server: string) =>
			page.evaluate(async (server) => {
				try {
					const res = await fetch(`${server}/microclimate.auth.v1.AuthService/GetServerInfo`, {
						method: 'POST',
						headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
						body: new Uint8Array([0, 0, 0, 0, 0])
					});
					return `HTTP ${res.status} ${res.headers.get('content-type')}`;
				} catch (error) {
					return `refused: ${(error as Error).name}`;
				}
			}, server);
		await page.goto('/connect');
		expect(await call(prod.server)).toMatch(/^HTTP 200 application\/grpc-web/);
		// Another https origin of the same domain (the PDS's) is not the app.
		pageErrors.expect(/blocked by CORS policy/);
		pageErrors.expect(/Cross-Origin Request Blocked/, 'uncaught');
		pageErrors.expect(/Cross-Origin Request Blocked/);
		await page.goto(`${prod.pds}/xrpc/_health`);
		expect(await call(prod.server)).toBe('refused: TypeError');
	});
});

test.describe('calls on the production rehearsal', () => {
	test.describe.configure({ mode: 'serial' });

	test('a call over wss: both hear each other', async ({ browser }) => {
		test.setTimeout(180_000);
		const prod = readProductionStack();
		const alice = await person(browser, prod, 'alice', ALICE);
		const bob = await person(browser, prod, 'bob', BOB);
		try {
			await join(alice);
			await join(bob);
			await hearEachOther(alice, ALICE, bob, BOB);
		} finally {
			await alice.context.close();
			await bob.context.close();
		}
	});

	test('a relay-only call goes through LiveKit\'s TURN and both hear each other', async ({ browser }) => {
		test.setTimeout(180_000);
		const prod = readProductionStack();
		const alice = await person(browser, prod, 'alice', ALICE, true);
		const bob = await person(browser, prod, 'bob', BOB, true);
		try {
			await join(alice);
			await join(bob);
			await hearEachOther(alice, ALICE, bob, BOB);
			for (const p of [alice, bob]) {
				const pairs = await selectedPairs(p.page);
				expect(pairs.length).toBeGreaterThan(0);
				for (const pair of pairs) expect(pair.local, JSON.stringify(pair)).toBe('relay');
			}
		} finally {
			await alice.context.close();
			await bob.context.close();
		}
	});
});
