// A whole session in WebKit: the sign-in popup through the real (https) PDS pages and back,
// the session surviving a reload, and signing out.
import { By } from 'selenium-webdriver';
import { test, expect, byButton, find, expectText } from './fixtures.ts';
import { SHOWN_HANDLE, signIn } from './sign-in-steps.ts';

test('signs in through the PDS popup, keeps the session over a reload, and signs out', async ({ driver, stack, tlsPds }) => {
	const [who] = tlsPds.accounts;
	await signIn(driver, stack.app, tlsPds, who!);
	expect(new URL(await driver.getCurrentUrl()).pathname).toBe('/');
	await expectText(driver, By.css('[data-testid="directory-status"]'), 'Live');

	await driver.navigate().refresh();
	await expectText(driver, By.css('.signed-in'), `Signed in as @${SHOWN_HANDLE}`);
	await expectText(driver, By.css('[data-testid="directory-status"]'), 'Live');

	await (await find(driver, By.css('a[aria-label="Settings"]'))).click();
	await (await find(driver, byButton('Sign out'))).click();
	await find(driver, By.xpath('//h2[normalize-space(.) = "Sign in"]'));
	expect(new URL(await driver.getCurrentUrl()).pathname).toBe('/connect');
	// Signed out for good: a reload stays on the connect screen.
	await driver.navigate().refresh();
	await find(driver, By.xpath('//h2[normalize-space(.) = "Sign in"]'));
	expect(new URL(await driver.getCurrentUrl()).pathname).toBe('/connect');
});
