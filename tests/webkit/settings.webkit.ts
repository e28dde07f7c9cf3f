// The settings' microphone test in WebKit, under Safari's autoplay policy (MiniBrowser started
// WITHOUT --autoplay-policy=allow): its AudioContext is created and resumed inside the tap on
// "Test the microphone", so it runs, and the meter follows WebKit's mock microphone (a tone).
// An AudioContext a page creates outside a tap stays suspended under this policy: that is
// checked first, so the test shows the policy is really in force.
//
// "Tap to enable audio" itself belongs to a connected call (LiveKit reports playback blocked),
// which this WebKit cannot make (no WebRTC): what it can show is the tap-started sound above;
// the prompt is tested in Chromium and Firefox without their autoplay permission.
import { By, type WebDriver } from 'selenium-webdriver';
import { test, expect, byButton, find } from './fixtures.ts';
import { signIn } from './sign-in-steps.ts';

test.use({ autoplay: false });

/** The meter's values over about 1.5 s, one every 100 ms. */
const meterSamples = (driver: WebDriver) =>
	driver.executeAsyncScript<number[]>(`
		const done = arguments[arguments.length - 1];
		const meter = document.querySelector('meter[aria-label="Microphone level"]');
		const values = [];
		const timer = setInterval(() => {
			values.push(meter.value);
			if (values.length === 15) { clearInterval(timer); done(values); }
		}, 100);
	`);

test('the microphone test runs its meter from the tap, under the autoplay policy that keeps other sound suspended', async ({ driver, stack, tlsPds }) => {
	await signIn(driver, stack.app, tlsPds, tlsPds.accounts[0]!);
	// A fresh page load: no tap has happened in this document yet (WebKit lets a document that
	// had one start sound later).
	await driver.get(`${stack.app}/settings`);
	const button = await find(driver, byButton('Test the microphone'));

	// Outside a tap, this policy keeps a new AudioContext suspended (Chromium's and Firefox's
	// test runs allow autoplay, so only here is the tap itself what starts the sound).
	const untapped = await driver.executeAsyncScript<string>(`
		const done = arguments[arguments.length - 1];
		const ctx = new AudioContext();
		setTimeout(() => { done(ctx.state); ctx.close(); }, 500);
	`);
	expect(untapped).toBe('suspended');

	await button.click();
	await find(driver, byButton('Stop the test'));
	expect(await button.getAttribute('aria-pressed')).toBe('true');
	let samples: number[] = [];
	await driver.wait(async () => {
		samples = await meterSamples(driver);
		return samples.some((v) => v > 0.01) && new Set(samples).size > 1;
	}, 15_000).catch(() => {
		throw new Error(`the meter did not move with the mock microphone: ${samples.join(', ')}`);
	});
	expect(await driver.findElements(By.css('.problem[role="alert"]'))).toEqual([]);

	await button.click();
	await find(driver, byButton('Test the microphone'));
	await driver.wait(async () => (await meterSamples(driver)).every((v) => v === 0), 5_000, 'the meter did not fall to 0 when the test stopped');
});
