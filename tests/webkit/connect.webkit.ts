// The connect screen in WebKit (Safari's engine): the server check through Envoy, its
// refusals, and keyboard use of the form.
import { By, Key } from 'selenium-webdriver';
import { test, expect, byTestId, byLabel, byButton, find, expectText } from './fixtures.ts';

test.describe('connect screen in WebKit', () => {
	test('shows the name of the default server, fetched through Envoy', async ({ driver, stack }) => {
		await driver.get(`${stack.app}/connect`);
		expect(await (await find(driver, byLabel('Server'))).getAttribute('value')).toBe(stack.server);
		await expectText(driver, byTestId('server-name'), 'Microclimate Local');
	});

	test('explains a malformed address, and says when nothing answers', async ({ driver, stack }) => {
		await driver.get(`${stack.app}/connect`);
		await find(driver, byTestId('server-name'));
		const server = await find(driver, byLabel('Server'));
		await server.clear();
		await server.sendKeys('http://exa mple');
		await (await find(driver, byButton('Check'))).click();
		await expectText(driver, byTestId('server-status'), 'A server address cannot contain spaces.');
		expect(await server.getAttribute('aria-invalid')).toBe('true');

		await server.clear();
		await server.sendKeys('http://127.0.0.1:9');
		await (await find(driver, byButton('Check'))).click();
		await expectText(driver, byTestId('server-status'), "Can't reach 127.0.0.1:9. Check the address and your connection.");
	});

	test('works from the keyboard: Enter checks the server, Tab reaches the handle and "Sign in"', async ({ driver, stack }) => {
		await driver.get(`${stack.app}/connect`);
		await expectText(driver, byTestId('server-name'), 'Microclimate Local');
		const server = await find(driver, byLabel('Server'));
		await server.clear();
		await server.sendKeys(`${new URL(stack.server).host}/`, Key.ENTER);
		await expectText(driver, byTestId('server-name'), 'Microclimate Local');
		// Tab from the server field: Check, then the handle field, then "Sign in".
		const focused = async () =>
			driver.executeScript<string>(
				'const e = document.activeElement; return e.id || e.textContent.trim();'
			);
		await server.sendKeys(Key.TAB);
		expect(await focused()).toBe('Check');
		await driver.actions().sendKeys(Key.TAB).perform();
		expect(await focused()).toBe('handle');
		await driver.actions().sendKeys('alice', Key.TAB).perform();
		expect(await focused()).toBe('Sign in');
		// Enter on "Sign in" submits: a bad handle is explained, nothing opens.
		await driver.actions().sendKeys(Key.ENTER).perform();
		await expectText(
			driver,
			By.id('sign-in-message'),
			'"alice" is not a handle. A handle looks like alice.bsky.social (or a DID such as did:plc:…).'
		);
		expect((await driver.getAllWindowHandles()).length).toBe(1);
	});
});
