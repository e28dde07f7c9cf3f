// Sign-in in WebKit: Safari blocks a popup that is not opened inside the click, so the app
// opens it synchronously there; here the popup must appear and reach the real PDS page of
// the stack's own (http) PDS, the one every other engine signs in on.
//
// Approving is done on the https PDS (session.webkit.ts): WebKitGTK drops `Secure` cookies
// set over http://localhost, and the reference PDS sets its CSRF cookie `Secure`, so on this
// PDS its form answers "Missing CSRF header" in this browser only (scripts/stack/tls-pds.ts).
import { By, until } from 'selenium-webdriver';
import { test, expect, byLabel, byButton, byTestId, find } from './fixtures.ts';

test('"Sign in" opens the popup inside the click, on the PDS sign-in page for the handle', async ({ driver, stack }) => {
	await driver.get(`${stack.app}/connect`);
	await find(driver, byTestId('server-name'));
	const signIn = await find(driver, byButton('Sign in'));
	await driver.wait(until.elementIsEnabled(signIn), 10_000);
	await (await find(driver, byLabel('Handle'))).sendKeys('alice.test');
	const app = await driver.getWindowHandle();
	await signIn.click();
	await driver.wait(async () => (await driver.getAllWindowHandles()).length === 2, 10_000, 'no popup opened');
	const popup = (await driver.getAllWindowHandles()).find((h) => h !== app)!;
	await find(driver, byButton('Cancel'));

	await driver.switchTo().window(popup);
	await driver.wait(async () => (await driver.getCurrentUrl()).startsWith(stack.pds), 15_000, 'the popup never reached the PDS');
	const password = await find(driver, By.css('input[name=password]'), 15_000);
	expect(await password.isDisplayed()).toBe(true);
	// The PDS pre-fills the handle it was asked about.
	const values = await driver.executeScript<string[]>("return [...document.querySelectorAll('input')].map((i) => i.value)");
	expect(values).toContain('alice.test');
});
