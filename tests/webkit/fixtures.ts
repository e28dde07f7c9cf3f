// Fixtures of the WebKit suite: the stack global set-up started (the same one the Chromium
// and Firefox projects use), the https PDS of the WebKit accounts on that stack's PLC
// (scripts/stack/tls-pds.ts says why), a WebKitWebDriver per worker, a fresh MiniBrowser per
// test, and the few waits the tests need (selenium-webdriver has no auto-waiting locators).
import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { By, error, until, type WebDriver, type WebElement } from 'selenium-webdriver';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { startTlsPds, type TlsPds } from '../../scripts/stack/tls-pds.ts';
import { collectedPageErrors, watchPageErrors } from './page-errors.ts';
import { newSession, startWebKitDriver, type WebKitDriverService } from './webkit.ts';
import { redactTokens } from '../e2e/page-errors.ts';

const stackFile = join(import.meta.dirname, '..', '..', '.stack', 'stack.json');

/** The WebKit suite's accounts, on the https PDS (passwords for this local test only). */
const TLS_ACCOUNTS = [{ handle: 'carol.test', email: 'carol@example.com', password: 'carol-password' }];

const readStack = () => JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo;

export const test = base.extend<{ stack: StackInfo; autoplay: boolean; driver: WebDriver }, { webkit: WebKitDriverService; tlsPds: TlsPds }>({
	tlsPds: [
		async ({}, use) => {
			const pds = await startTlsPds(readStack().plc, TLS_ACCOUNTS);
			await use(pds);
			await pds.stop();
		},
		{ scope: 'worker' }
	],
	webkit: [
		async ({}, use) => {
			const service = await startWebKitDriver();
			await use(service);
			await service.stop();
		},
		{ scope: 'worker' }
	],
	stack: async ({}, use) => {
		await use(readStack());
	},
	// Autoplay allowed, as the Chromium and Firefox projects run; a test sets it to false
	// to meet Safari's default policy.
	autoplay: [true, { option: true }],
	// Each test fails on an uncaught error, unhandled rejection or console.error of the app's
	// pages, as in the other engines (page-errors.ts says what WebKit can and cannot see).
	driver: async ({ webkit, autoplay, stack, tlsPds }, use) => {
		const driver = await newSession(webkit, { autoplay });
		watchPageErrors(driver);
		let errors: string[] = [];
		try {
			await use(driver);
			errors = await collectedPageErrors(driver, [stack.pds, tlsPds.url]);
		} finally {
			await driver.quit().catch(() => {});
		}
		if (errors.length) throw new Error(`${errors.length} error(s) in the app's pages:\n  ${errors.map(redactTokens).join('\n  ')}`);
	}
});

export { expect };

export const byTestId = (id: string) => By.css(`[data-testid="${id}"]`);
export const byLabel = (text: string) => By.xpath(`//input[@id = //label[normalize-space(.) = "${text}"]/@for]`);
export const byButton = (name: string) => By.xpath(`//button[normalize-space(.) = "${name}"]`);

/** Waits for an element and returns it (10 s, like the other projects' expect timeout). */
export function find(driver: WebDriver, locator: By, timeoutMs = 10_000): Promise<WebElement> {
	return driver.wait(until.elementLocated(locator), timeoutMs, `nothing matches ${locator}`);
}

/**
 * Waits until the element's text is exactly `text`. An element the page replaced between
 * finding it and reading it (Svelte re-renders a status as it changes) is found again: a
 * rejected condition would end selenium's wait at once, not at the timeout.
 */
export async function expectText(driver: WebDriver, locator: By, text: string, timeoutMs = 10_000): Promise<void> {
	let last = '';
	await driver
		.wait(async () => {
			const found = await driver.findElements(locator);
			try {
				last = found.length ? (await found[0]!.getText()).trim() : '(no element)';
			} catch (e) {
				if (e instanceof error.StaleElementReferenceError) return false;
				throw e;
			}
			return last === text;
		}, timeoutMs)
		.catch(async (e: unknown) => {
			if (!(e instanceof error.TimeoutError)) throw e;
			throw new Error(`${locator}: expected text "${text}", last seen "${last}"\n${await whatIsShown(driver)}`);
		});
}

/** The window's address and the start of its text, for a failure's message. */
async function whatIsShown(driver: WebDriver): Promise<string> {
	const url = await driver.getCurrentUrl().catch(() => '?');
	const body = await driver.findElement(By.css('body')).getText().catch(() => '(no body)');
	return `the window shows ${url}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
}
