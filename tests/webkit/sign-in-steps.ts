// Signing in in WebKit as a person would: the sign-in popup on the https PDS's real pages,
// approved there, and back in the app. The WebKit accounts live on that PDS, whose handles
// the app's handle resolver (the stack's http PDS) does not know: the person types their
// DID, which the connect screen accepts like a handle.
import { By, until, type WebDriver } from 'selenium-webdriver';
import type { TlsPds } from '../../scripts/stack/tls-pds.ts';
import { byButton, byLabel, byTestId, expectText, find } from './fixtures.ts';

export type TlsAccount = TlsPds['accounts'][number];

/** The handle the app shows for a WebKit account: the API server cannot check it both ways. */
export const SHOWN_HANDLE = 'handle.invalid';

/** Types the DID on /connect (of `appUrl`), clicks "Sign in" and returns the popup's handle. */
export async function openSignInPopup(driver: WebDriver, appUrl: string, who: TlsAccount): Promise<string> {
	await driver.get(`${appUrl}/connect`);
	await find(driver, byTestId('server-name'));
	const signIn = await find(driver, byButton('Sign in'));
	await driver.wait(until.elementIsEnabled(signIn), 10_000);
	await (await find(driver, byLabel('Handle'))).sendKeys(who.did);
	const app = await driver.getWindowHandle();
	await signIn.click();
	await driver.wait(async () => (await driver.getAllWindowHandles()).length === 2, 10_000, 'no popup opened');
	return (await driver.getAllWindowHandles()).find((h) => h !== app)!;
}

/** In the popup: the PDS's sign-in form, then its consent page; back to the app window. */
export async function approveInPopup(driver: WebDriver, pds: TlsPds, popup: string, who: TlsAccount): Promise<void> {
	const app = await driver.getWindowHandle();
	await driver.switchTo().window(popup);
	await driver.wait(async () => (await driver.getCurrentUrl()).startsWith(pds.url), 15_000, 'the popup never reached the https PDS');
	await (await find(driver, By.css('input[name=password]'), 15_000)).sendKeys(who.password);
	await (await find(driver, byButton('Sign in'))).click();
	await (await find(driver, byButton('Authorize'), 15_000)).click();
	await driver.switchTo().window(app);
}

/** Every window's address and text, for a sign-in that did not finish. */
async function windowsSeen(driver: WebDriver): Promise<string> {
	const seen: string[] = [];
	const current = await driver.getWindowHandle();
	for (const handle of await driver.getAllWindowHandles()) {
		await driver.switchTo().window(handle);
		const text = await driver.findElement(By.css('body')).getText().catch(() => '');
		seen.push(`${handle === current ? 'app' : 'other'} window at ${await driver.getCurrentUrl()}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`);
	}
	await driver.switchTo().window(current);
	return seen.join('\n');
}

/** The whole sign-in; ends on the signed-in home screen with the popup closed. */
export async function signIn(driver: WebDriver, appUrl: string, pds: TlsPds, who: TlsAccount): Promise<void> {
	const popup = await openSignInPopup(driver, appUrl, who);
	await approveInPopup(driver, pds, popup, who);
	// The PDS sends the popup to the app's callback, which trades the code for tokens, reports
	// to the opener and closes; the app then opens its server session (90 s: on a loaded machine this alone has taken most of a minute).
	await expectText(driver, By.css('.signed-in'), `Signed in as @${SHOWN_HANDLE}`, 90_000).catch(async (err: Error) => {
		throw new Error(`${err.message}\n${await windowsSeen(driver)}`);
	});
	await driver.wait(async () => !(await driver.getAllWindowHandles()).includes(popup), 10_000, 'the popup did not close');
}
