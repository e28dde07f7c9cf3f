// The installable, offline-capable app: service worker, offline shell, update prompt,
// security headers and CSP, standalone sign-in by redirect, first-screen weight.
import { activeWorkerPrecache } from './service-worker.ts';
import { test, expect } from './fixtures.ts';
import { account, signIn, signInByRedirect } from './sign-in.ts';
import { watchCsp } from './csp-watch.ts';
import { escapeRegExp } from './page-errors.ts';
import { deployNewVersion } from './app-versions.ts';
import { firstScreenJs } from '../../scripts/pwa/first-screen-js.ts';

test.describe('service worker', () => {
	test('activates and precaches the app shell, not the lazily loaded libraries', async ({ page }) => {
		await page.goto('/connect');
		const precached = await activeWorkerPrecache(page);
		const { files, lazy } = firstScreenJs();
		expect(precached).toContain('/200.html');
		expect(precached).toContain('/manifest.webmanifest');
		expect(precached).toContain('/pwa-192x192.png');
		for (const f of files) expect(precached).toContain(`/${f.file}`);
		expect(lazy.length).toBeGreaterThan(0);
		for (const f of lazy) expect(precached).not.toContain(`/${f}`);
	});

	test('a start at /connect is answered by the worker with the prerendered form; in Chromium the precached immutable files skip its JavaScript (static routes)', async ({ page, context, browserName, pageErrors }) => {
		pageErrors.expect(/^Failed to load resource: net::ERR_INTERNET_DISCONNECTED\b/);
		pageErrors.expectFailedRequest(/.*/); // offline, the server check gets no answer
		await page.goto('/connect');
		expect(await activeWorkerPrecache(page)).toContain('/connect');
		await context.setOffline(true);
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		// What the worker answers for /connect (the network is gone): the prerendered page, its
		// form in the HTML, not the empty SPA shell (200.html).
		const html = await page.evaluate(() => fetch('/connect').then((r) => r.text()));
		expect(html).toContain('id="server-status"');
		expect(html).toContain('Sign in');
		await context.setOffline(false);
		await page.reload();
		await expect(page.locator('#server-status.ok')).toBeVisible();
		const sources = await page.evaluate(() =>
			(performance.getEntriesByType('resource') as (PerformanceResourceTiming & { workerMatchedSourceType?: string })[])
				.filter((e) => new URL(e.name).pathname.startsWith('/_app/immutable/'))
				.map((e) => ({ name: e.name, source: e.workerMatchedSourceType, bytes: e.transferSize }))
		);
		expect(sources.length).toBeGreaterThan(10);
		// Nothing immutable crossed the network on the second start.
		for (const s of sources) expect(s.bytes, s.name).toBe(0);
		// The precached ones come straight from Cache Storage; a lazy chunk (the OAuth client)
		// goes to the worker, whose runtime cache keeps it for offline use (next test).
		const { lazy } = firstScreenJs();
		const isLazy = (url: string) => lazy.some((f) => new URL(url).pathname === `/${f}`);
		if (browserName === 'chromium') for (const s of sources) expect(s.source, s.name).toBe(isLazy(s.name) ? '' : 'cache');
	});

	test('a lazily loaded chunk is kept after its first use and loads offline', async ({ page, context }) => {
		const { lazy } = firstScreenJs();
		await page.goto('/connect');
		await activeWorkerPrecache(page);
		// The OAuth client is one of the lazy chunks: /connect loads it once shown, now through
		// the worker (the page is controlled after this reload).
		await page.reload();
		expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
		const used = await page.evaluate(
			(files) => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => files.some((f) => p === `/${f}`)),
			lazy
		);
		expect(used.length).toBeGreaterThan(0);
		// Kept by the worker's runtime cache of lazy chunks...
		const kept = await page.evaluate(async () => (await (await caches.open('microclimate-lazy-chunks')).keys()).map((r) => new URL(r.url).pathname));
		for (const file of used) expect(kept, file).toContain(file);
		// ...so it loads with the network gone.
		await context.setOffline(true);
		const offline = await page.evaluate((files) => Promise.all(files.map((f) => fetch(f).then((r) => r.status, (e: Error) => e.message))), used);
		await context.setOffline(false);
		expect(offline).toEqual(used.map(() => 200));
	});

	test('a start at / gets the channel list shell, with the module preloads of that screen in its HTML', async ({ page, stack }) => {
		await signIn(page, account(stack, 'alice.test'));
		await expect(page.getByText('Lobby')).toBeVisible();
		expect(await activeWorkerPrecache(page)).toContain('/');
		// A start at the manifest's start_url, answered by the worker.
		await page.goto('/');
		await expect(page.getByText('Lobby')).toBeVisible();
		const html = await page.evaluate(() => fetch('/').then((r) => r.text()));
		const preloaded = [...html.matchAll(/<link href="([^"]+)" rel="modulepreload">/g)].map((m) => new URL(m[1]!, `${stack.app}/`).pathname);
		const { files } = firstScreenJs('/(app)');
		expect(files.length).toBeGreaterThan(10);
		// Every file of the screen is asked for while the HTML is parsed, not after the boot found it.
		for (const f of files) expect(preloaded, f.file).toContain(`/${f.file}`);
	});

	test('offline, a reload shows the signed-in shell, "Offline" and the last known channels; back online the live channels return by themselves', async ({ page, context, stack, pageErrors }) => {
		// Requests the app makes while offline fail, and the browser says so: Chromium names the
		// offline state, Firefox reports each request to the API server that got no answer.
		pageErrors.expect(/^Failed to load resource: net::ERR_INTERNET_DISCONNECTED\b/);
		pageErrors.expectFailedRequest(new RegExp(`${escapeRegExp(stack.server)}/.*`));
		await signIn(page, account(stack, 'alice.test'));
		await expect(page.getByText('Lobby')).toBeVisible();
		await activeWorkerPrecache(page);

		await context.setOffline(true);
		await page.reload();
		await expect(page.getByText('Signed in as @alice.test')).toBeVisible();
		await expect(page.getByTestId('offline-banner')).toContainText('Offline');
		await expect(page.getByRole('heading', { name: 'Voice channels' })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
		await expect(page).toHaveURL(/\/$/);
		// The channels of her last visit, marked as not live (issue 26), never as the live list.
		await expect(page.getByText('Lobby')).toBeVisible();
		await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'last-known');
		await expect(page.getByTestId('directory-status')).toHaveText('Offline: waiting for the network');

		await context.setOffline(false);
		await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'stream');
		await expect(page.getByText('Lobby')).toBeVisible();
		await expect(page.getByTestId('offline-banner')).toHaveCount(0);
	});

	test('a new version deployed while the app is open is offered, and only a click reloads', async ({ page, context, stack }) => {
		test.setTimeout(180_000);
		await page.goto('/connect');
		await activeWorkerPrecache(page);
		// An open installed app: its page is controlled by the worker, so a new version
		// waits instead of taking over.
		await page.reload();
		expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
		await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

		await deployNewVersion(stack);
		// The app checks for a new version when the network comes back (also on focus and
		// on a timer).
		await context.setOffline(true);
		await context.setOffline(false);

		const prompt = page.getByRole('button', { name: 'Update available — reload' });
		await expect(prompt).toBeVisible({ timeout: 30_000 });
		await page.waitForTimeout(1000);
		expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

		await Promise.all([page.waitForEvent('load'), prompt.click()]);
		await expect(page.getByTestId('server-name')).toBeVisible();
		expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBeUndefined();
		expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null)).toBeNull();
		await expect(prompt).toHaveCount(0);
	});
	test('during a call the update waits, and is offered when the call ends', async ({ page, context, stack }) => {
		test.setTimeout(180_000);
		await signIn(page, account(stack, 'bob.test'));
		await activeWorkerPrecache(page);
		await page.reload();
		expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
		await page.getByRole('button', { name: /Lobby/ }).click();
		await expect(page.getByTestId('call-status')).toHaveText('Connected');

		await deployNewVersion(stack);
		await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
		// The new version is there, installed and waiting...
		await expect
			.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting !== null), { timeout: 30_000 })
			.toBe(true);
		// ...but nobody is offered a reload in the middle of a call.
		const prompt = page.getByRole('button', { name: 'Update available — reload' });
		await page.waitForTimeout(2000);
		await expect(prompt).toHaveCount(0);
		await expect(page.getByTestId('call-status')).toHaveText('Connected');

		await page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(prompt).toBeVisible({ timeout: 10_000 });
	});
});

test.describe('secure by default', () => {
	test('the static server sends the security headers, and sw.js is always revalidated', async ({ request }) => {
		const page = await request.get('/connect');
		expect(page.headers()['content-security-policy']).toBe("frame-ancestors 'none'");
		expect(page.headers()['x-content-type-options']).toBe('nosniff');
		expect(page.headers()['referrer-policy']).toBe('no-referrer');
		const html = await page.text();
		const csp = html.match(/<meta http-equiv="content-security-policy" content="([^"]+)"/)?.[1] ?? '';
		expect(csp).toContain("default-src 'self'");
		expect(csp).toMatch(/script-src 'self' 'sha256-[^']+'(;|$)/);
		expect(csp).not.toContain('unsafe-inline');
		expect(csp).toContain("object-src 'none'");
		const sw = await request.get('/sw.js');
		expect(sw.headers()['cache-control']).toBe('no-cache');
		const manifest = await request.get('/manifest.webmanifest');
		expect(manifest.headers()['content-type']).toContain('application/manifest+json');
	});

	test('nothing is blocked by the CSP on /connect, the popup sign-in and the signed-in screens', async ({ page, context, stack }) => {
		const violations = await watchCsp(context, stack.app);
		await signIn(page, account(stack, 'alice.test'));
		await expect(page.getByText('Lobby')).toBeVisible();
		await page.getByRole('link', { name: 'Settings' }).click();
		await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
		expect(await violations()).toEqual([]);
	});
});

test.describe('standalone display mode', () => {
	test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

	test('the home-screen app signs in by redirect through the PDS pages and ends signed in', async ({ page, context, stack }) => {
		// What an installed app reports: matchMedia('(display-mode: standalone)') matches.
		await context.addInitScript(() => {
			const original = window.matchMedia.bind(window);
			window.matchMedia = (query: string) =>
				/display-mode:\s*standalone/.test(query)
					? ({ ...original(query), matches: true, media: query } as MediaQueryList)
					: original(query);
		});
		const violations = await watchCsp(context, stack.app);
		let popups = 0;
		page.on('popup', () => popups++);
		const alice = account(stack, 'alice.test');

		await page.goto('/connect');
		expect(await page.evaluate(() => matchMedia('(display-mode: standalone)').matches)).toBe(true);
		await signInByRedirect(page, stack, alice);
		await expect(page).toHaveURL(`${stack.app}/`);
		await expect(page.getByText('Lobby')).toBeVisible();
		expect(popups).toBe(0);
		expect(await violations()).toEqual([]);
	});
});

test('the first screen loads under 80 KB of JavaScript (gzip), the OAuth client after it', async ({ page }) => {
	const js = firstScreenJs();
	console.log(`First screen (/connect) JavaScript: ${(js.gzip / 1024).toFixed(1)} KiB gzip in ${js.files.length} files`);
	expect(js.gzip).toBeLessThan(80_000);
	const lazyRequest = page.waitForRequest((r) => js.lazy.some((f) => r.url().endsWith(f)));
	await page.goto('/connect');
	// Prefetched as soon as /connect shows, so "Sign in" opens the popup inside the click.
	await lazyRequest;
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
});
