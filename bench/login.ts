// Sign-in as a person does it (the "Authorize" click on the PDS consent page to the
// signed-in screen) against a script making the same three calls directly.
import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { openSignInPopup, passPdsSignIn, type Account } from '../tests/e2e/sign-in.ts';
import { scriptSignIn } from './script-session.ts';
import { summarize } from './stats.ts';

const ROUNDS = 8;

/**
 * A fresh browser context signed in at the PDS and waiting on its consent page, with the time
 * (performance.now()) the popup asked for the app's /oauth/callback, once it has.
 */
export async function atConsentPage(
	browser: Browser,
	appUrl: string,
	who: Account
): Promise<{ context: BrowserContext; page: Page; authorize: Locator; callbackAt: () => number | undefined }> {
	const context = await browser.newContext({ baseURL: appUrl });
	const page = await context.newPage();
	const popup = await openSignInPopup(page, who.handle);
	await passPdsSignIn(popup, who);
	const authorize = popup.getByRole('button', { name: 'Authorize' });
	await authorize.waitFor();
	let callbackAt: number | undefined;
	popup.on('request', (r) => {
		if (callbackAt === undefined && r.url().startsWith(`${appUrl}/oauth/callback`)) callbackAt = performance.now();
	});
	return { context, page, authorize, callbackAt: () => callbackAt };
}

/** Resolves once the page says she is signed in, checked every animation frame (a locator's wait backs off to 500 ms polls). */
export async function untilSignedIn(page: Page, handle: string): Promise<void> {
	await page.waitForFunction((text) => document.body.innerText.includes(text), `Signed in as @${handle}`, { polling: 'raf' });
}

export async function loginRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const transport = createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true });
	const alice = stack.accounts.find((a) => a.handle === 'alice.test')!;
	const baseline: number[] = [];
	const ui: number[] = [];
	const appPart: number[] = [];
	for (let round = 0; round < ROUNDS; round++) {
		const t0 = performance.now();
		await scriptSignIn(stack, alice.handle, transport);
		baseline.push(performance.now() - t0);

		const { context, page, authorize, callbackAt } = await atConsentPage(browser, stack.app, alice);
		const t1 = performance.now();
		await authorize.click();
		await untilSignedIn(page, alice.handle);
		const done = performance.now();
		ui.push(done - t1);
		const callback = callbackAt();
		if (callback) appPart.push(done - callback);
		await context.close();
	}
	return [
		{
			figure: 'login: "Authorize" click to signed-in screen',
			unit: 'ms',
			value: summarize(ui),
			baseline: summarize(baseline),
			baselineLabel: 'script: PDS session + service auth + CreateSession',
			goal: '<= 800 ms'
		},
		{
			figure: 'login, app part: PDS redirect to /oauth/callback to signed-in screen',
			unit: 'ms',
			value: summarize(appPart),
			baseline: summarize(baseline),
			baselineLabel: 'script',
			goal: '<= 1.15x script',
			note: 'the rest of the total is the PDS consent page (consent call to redirect)'
		}
	];
}
