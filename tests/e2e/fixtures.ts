// Fixtures shared by the e2e tests: the stack that global set-up started, read from the
// file the orchestrator writes, the app's URL as Playwright's baseURL, and a watch that
// fails every test on an uncaught error, unhandled rejection or console error of the app.
//
// The watch covers every browser context of the worker, not only the `context` fixture:
// tests that play several people open their own with `browser.newContext()`, often in
// beforeAll. It uses Playwright's own events and an init script, so it works the same in
// Chromium and in Firefox (WebDriver BiDi): no CDP.
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { PageErrorCollector, REJECTION_MARK, describeErrors, type PageErrorKind } from './page-errors.ts';

const stackFile = join(import.meta.dirname, '..', '..', '.stack', 'stack.json');
const readStack = () => JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo;

/** What a test uses to declare an error it provokes on purpose. */
export interface PageErrors {
	/** Allows errors matching `pattern` (of `kind`, console by default) until the test ends. */
	expect(pattern: RegExp, kind?: PageErrorKind): void;
	/** Allows each engine's report of requests whose URL matches `url` getting no answer (page-errors.ts). */
	expectFailedRequest(url: RegExp): void;
	/** Allows each engine's report of WebSockets to URLs matching `url` failing to connect. */
	expectFailedSocket(url: RegExp): void;
}

/** Reads of nonce-challenge answers still in flight: awaited before a test is judged. */
const pendingReads = new Set<Promise<void>>();

function watchPage(page: Page, errors: PageErrorCollector): void {
	// Firefox gives some engine messages no name (a WebSocket that could not connect).
	page.on('pageerror', (error) => errors.record('uncaught', page.url(), `${error.name ? `${error.name}: ` : ''}${error.message}\n${error.stack ?? ''}`));
	page.on('console', (message) => {
		if (message.type() !== 'error') return;
		// A failed request's report names no URL in its text; its location does.
		const at = message.location().url;
		errors.record('console', page.url(), at && !message.text().includes(at) ? `${message.text()} (${at})` : message.text(), at || undefined);
	});
	page.on('response', (response) => {
		const status = response.status();
		if (status !== 400 && status !== 401) return;
		if (status === 401 && /use_dpop_nonce/.test(response.headers()['www-authenticate'] ?? '')) return errors.noteNonceChallenge(response.url());
		if (status !== 400 || !response.headers()['dpop-nonce']) return;
		const read = response
			.text()
			.then((body) => (/"use_dpop_nonce"/.test(body) ? errors.noteNonceChallenge(response.url()) : undefined))
			// The body is gone when the page navigated at once (the redirect sign-in): a DPoP
			// request answered 400 with a fresh nonce is the challenge's shape (RFC 9449 §8).
			.catch(() => (response.request().headers()['dpop'] ? errors.noteNonceChallenge(response.url()) : undefined))
			.finally(() => pendingReads.delete(read));
		pendingReads.add(read);
	});
}

async function watchContext(context: BrowserContext, errors: PageErrorCollector, watched: WeakSet<BrowserContext>): Promise<void> {
	if (watched.has(context)) return;
	watched.add(context);
	// Browsers report unhandled rejections differently (Firefox over BiDi may not at all):
	// the page reports them itself, through console.error with a mark.
	await context.addInitScript((mark: string) => {
		addEventListener('unhandledrejection', (event) => {
			const reason = event.reason as { name?: string; message?: string; stack?: string } | undefined;
			console.error(mark, reason?.stack ?? `${reason?.name ?? ''}: ${reason?.message ?? String(reason)}`);
		});
	}, REJECTION_MARK);
	for (const page of context.pages()) watchPage(page, errors);
	context.on('page', (page) => watchPage(page, errors));
}

/** Contexts already watched, whichever browser opened them. */
const watchedContexts = new WeakSet<BrowserContext>();

/**
 * Makes every context `browser` opens from now on report to `errors`. The fixture does this
 * for the worker's browser; a test that launches a browser of its own (other launch options)
 * calls it too, with the `pageErrorCollector` fixture. Returns the undo.
 */
export function watchBrowser(browser: Browser, errors: PageErrorCollector): () => void {
	const newContext = browser.newContext.bind(browser);
	browser.newContext = (async (options) => {
		const context = await newContext(options);
		await watchContext(context, errors, watchedContexts);
		return context;
	}) as Browser['newContext'];
	return () => {
		browser.newContext = newContext;
	};
}

export const test = base.extend<{ stack: StackInfo; pageErrors: PageErrors }, { pageErrorCollector: PageErrorCollector }>({
	// One collector per worker; every context the worker's browser opens reports to it.
	pageErrorCollector: [
		async ({ browser }, use) => {
			const errors = new PageErrorCollector(readStack().app);
			const unwatch = watchBrowser(browser, errors);
			await use(errors);
			unwatch();
			await Promise.all(pendingReads);
			// Errors after the last test (afterAll, closing contexts) fail the worker.
			const late = errors.endTest();
			if (late.length) throw new Error(describeErrors(late));
		},
		{ scope: 'worker', auto: true }
	],
	// Each test fails on the app errors seen while it ran (in any of the worker's contexts).
	pageErrors: [
		async ({ pageErrorCollector }, use) => {
			// Anything between two tests (a beforeAll) is judged with the next test.
			await use({
				expect: (pattern, kind) => pageErrorCollector.expect(pattern, kind),
				expectFailedRequest: (url) => pageErrorCollector.expectFailedRequest(url),
				expectFailedSocket: (url) => pageErrorCollector.expectFailedSocket(url)
			});
			await Promise.all(pendingReads);
			const found = pageErrorCollector.endTest();
			if (found.length) throw new Error(describeErrors(found));
		},
		{ auto: true }
	],
	stack: async ({}, use) => {
		await use(readStack());
	},
	baseURL: async ({ stack }, use) => {
		await use(stack.app);
	}
});

/**
 * A test's own time limit (`test.setTimeout(ms)`) scaled by its project's `timeoutScale`
 * (metadata in playwright.config.ts): Firefox takes longer for the same steps, and a limit
 * written for Chromium would fail it for being slow, which is not what the test checks.
 */
const setTimeoutUnscaled = test.setTimeout.bind(test);
test.setTimeout = (ms: number) => {
	const scale = Number(test.info().project.metadata?.timeoutScale ?? 1);
	setTimeoutUnscaled(ms > 0 ? Math.round(ms * scale) : ms);
};

export { expect };
