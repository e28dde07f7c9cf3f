// Uncaught errors, unhandled rejections and console.error calls of the app's pages in WebKit.
// The Chromium and Firefox projects hear them from the browser (tests/e2e/fixtures.ts);
// classic WebDriver has no such events, so here the page keeps them itself: a listener is
// installed right after every navigation the test makes, and each test ends by reading what
// every open window on the app collected. What a page throws before the listener is in
// (during its first script's run) is not seen: that part stays with the other engines.
import type { WebDriver } from 'selenium-webdriver';

const INSTALL = `
	if (!window.__microclimateErrors) {
		const errors = (window.__microclimateErrors = []);
		const text = (x) => (x && (x.stack || x.message)) || String(x);
		addEventListener('error', (e) => errors.push('uncaught: ' + text(e.error || e.message)));
		addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + text(e.reason)));
		const original = console.error;
		console.error = function (...args) {
			errors.push('console.error: ' + args.map(text).join(' '));
			return original.apply(this, args);
		};
	}
`;

/** Makes `driver.get` and `navigate().refresh()` install the listener on the page they load. */
export function watchPageErrors(driver: WebDriver): void {
	const get = driver.get.bind(driver);
	driver.get = async (url: string) => {
		await get(url);
		await driver.executeScript(INSTALL);
	};
	const navigate = driver.navigate.bind(driver);
	driver.navigate = () => {
		const navigation = navigate();
		const refresh = navigation.refresh.bind(navigation);
		navigation.refresh = async () => {
			await refresh();
			await driver.executeScript(INSTALL);
		};
		return navigation;
	};
}

/** What every open window not on one of `ignoredOrigins` (the PDS pages are not the app's) collected. */
export async function collectedPageErrors(driver: WebDriver, ignoredOrigins: string[]): Promise<string[]> {
	const ignored = ignoredOrigins.map((url) => new URL(url).origin);
	const found: string[] = [];
	const current = await driver.getWindowHandle().catch(() => undefined);
	for (const handle of await driver.getAllWindowHandles()) {
		await driver.switchTo().window(handle);
		const url = await driver.getCurrentUrl();
		if (!/^https?:/.test(url) || ignored.includes(new URL(url).origin)) continue;
		const errors = await driver.executeScript<string[] | null>('return window.__microclimateErrors || null');
		for (const e of errors ?? []) found.push(`${url}\n    ${e}`);
	}
	if (current) await driver.switchTo().window(current).catch(() => {});
	return found;
}
