// The channels screen in a browser without WebRTC (this WebKitGTK build has no
// RTCPeerConnection; Safari has it, lockdown modes and some embedded web views don't):
// joining says once and for good that calls can't be made here, asks the server for no
// token, never claims "You are here", and the rest of the app keeps working, by keyboard too.
//
// The call controls themselves (mute, deafen, leave in the dock) only exist in a connected
// call, which this browser cannot make: they are covered in Chromium and Firefox.
import { By, Key, type WebDriver } from 'selenium-webdriver';
import { test, expect, byTestId, find, expectText } from './fixtures.ts';
import { SHOWN_HANDLE, signIn } from './sign-in-steps.ts';

const UNSUPPORTED = "This browser can't make voice calls. Open Microclimate in a current Safari, Chrome, Firefox or Edge, with WebRTC allowed.";
const channelButton = (id: string) => By.css(`[data-channel="${id}"] button.join`);

/** The app's requests so far, by path (Resource Timing sees every fetch the page made). */
const requestedPaths = (driver: WebDriver) =>
	driver.executeScript<string[]>("return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)");

/** What the page has in focus: its id, label or text. */
const focused = (driver: WebDriver) =>
	driver.executeScript<string>(
		"const e = document.activeElement; return e.getAttribute('aria-label') || e.id || e.textContent.trim().replace(/\\s+/g, ' ');"
	);

test.describe('channels screen in WebKit (no WebRTC)', () => {
	test('joining says at once that this browser cannot call, asks for no token, and the app keeps working', async ({ driver, stack, tlsPds }) => {
		await signIn(driver, stack.app, tlsPds, tlsPds.accounts[0]!);
		await expectText(driver, byTestId('directory-status'), 'Live');
		const lobby = await find(driver, channelButton('lobby'));
		await lobby.click();
		await expectText(driver, By.css('main .problem[role="alert"]'), UNSUPPORTED);
		// The old failure retried a token request every few seconds and showed "Reconnecting…"
		// forever: give it the time of several such retries, then look.
		await driver.sleep(5_000);
		const paths = await requestedPaths(driver);
		expect(paths.some((p) => p.endsWith('/GetServerInfo')), 'Resource Timing sees the app\'s RPCs').toBe(true);
		expect(paths.filter((p) => p.endsWith('/GetChannelToken'))).toEqual([]);
		expect((await lobby.getText()).replace(/\s+/g, ' ')).toBe('Lobby Join');
		const page = await driver.findElement(By.css('body')).getText();
		expect(page).not.toContain('You are here');
		expect(page).not.toContain('Reconnecting…');
		expect(await driver.findElements(By.css('section[aria-label="Call controls"]'))).toEqual([]);

		// The rest of the app works: settings and back, the list still live, sign-in intact.
		await (await find(driver, By.css('a[aria-label="Settings"]'))).click();
		await find(driver, By.xpath('//h1[normalize-space(.) = "Settings"]'));
		await (await find(driver, By.css('a.brand'))).click();
		await expectText(driver, byTestId('directory-status'), 'Live');
		await expectText(driver, By.css('.signed-in'), `Signed in as @${SHOWN_HANDLE}`);
		// Another channel: the same final message, still no token asked for.
		await (await find(driver, channelButton('music'))).click();
		await expectText(driver, By.css('main .problem[role="alert"]'), UNSUPPORTED);
		expect((await requestedPaths(driver)).filter((p) => p.endsWith('/GetChannelToken'))).toEqual([]);
	});

	test('works from the keyboard: Tab reaches each channel, Enter joins (and is told why not), Settings opens', async ({ driver, stack, tlsPds }) => {
		await signIn(driver, stack.app, tlsPds, tlsPds.accounts[0]!);
		await expectText(driver, byTestId('directory-status'), 'Live');
		await driver.executeScript('document.activeElement?.blur()');
		// From the top of the page: the brand link, Settings, the server's share button, then
		// the channels in order, each followed by its share button.
		const stops: string[] = [];
		for (let i = 0; i < 9; i++) {
			await driver.actions().sendKeys(Key.TAB).perform();
			stops.push(await focused(driver));
		}
		const share = 'Copy link to this channel';
		expect(stops).toEqual(['Microclimate', 'Settings', 'Copy link to this server', 'Lobby Join', share, 'Music Join', share, 'Quiet room Join', share]);
		// Back to the lobby, Enter: told at once, and focus stays where it was.
		await driver.actions().keyDown(Key.SHIFT).sendKeys(Key.TAB, Key.TAB, Key.TAB, Key.TAB, Key.TAB).keyUp(Key.SHIFT).perform();
		expect(await focused(driver)).toBe('Lobby Join');
		await driver.actions().sendKeys(Key.ENTER).perform();
		await expectText(driver, By.css('main .problem[role="alert"]'), UNSUPPORTED);
		expect(await focused(driver)).toBe('Lobby Join');
		// Space on the next channel does the same; Shift+Tab back to Settings and Enter opens it.
		await driver.actions().sendKeys(Key.TAB, Key.TAB, Key.SPACE).perform();
		expect(await focused(driver)).toBe('Music Join');
		await expectText(driver, By.css('main .problem[role="alert"]'), UNSUPPORTED);
		await driver.actions().keyDown(Key.SHIFT).sendKeys(Key.TAB, Key.TAB, Key.TAB, Key.TAB).keyUp(Key.SHIFT).sendKeys(Key.ENTER).perform();
		await find(driver, By.xpath('//h1[normalize-space(.) = "Settings"]'));
		expect(new URL(await driver.getCurrentUrl()).pathname).toBe('/settings');
	});
});
