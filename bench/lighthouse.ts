// Lighthouse mobile performance (its default: simulated slow 4G, 4x CPU) of /connect and
// of the signed-in screen, three runs each in one Chromium; the signed-in runs keep the
// storage of a real popup sign-in made in that browser first.
import { chromium, type Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { audit, launchChromium } from '../scripts/pwa/lighthouse.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';

const RUNS = 3;

async function signIn(page: Page, stack: StackInfo): Promise<void> {
	const alice = stack.accounts.find((a) => a.handle === 'alice.test')!;
	await page.goto(`${stack.app}/connect`);
	await page.getByTestId('server-name').waitFor();
	await page.getByLabel('Handle').fill(alice.handle);
	const popupEvent = page.waitForEvent('popup');
	await page.getByRole('button', { name: 'Sign in' }).click();
	const popup = await popupEvent;
	await popup.locator('input[name=password]').fill(alice.password);
	await popup.getByRole('button', { name: 'Sign in' }).click();
	await popup.getByRole('button', { name: 'Authorize' }).click();
	await page.getByText('Lobby').waitFor({ timeout: 60_000 });
}

export async function lighthouseRows(stack: StackInfo): Promise<Row[]> {
	const chrome = await launchChromium(stack.chromium);
	try {
		const connect: number[] = [];
		for (let i = 0; i < RUNS; i++) connect.push((await audit(`${stack.app}/connect`, chrome.port)).performance);
		const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
		const page = await browser.contexts()[0]!.newPage();
		await signIn(page, stack);
		await page.close();
		const signedIn: number[] = [];
		for (let i = 0; i < RUNS; i++) signedIn.push((await audit(`${stack.app}/`, chrome.port, { keepStorage: true })).performance);
		await browser.close();
		return [
			{ figure: 'Lighthouse mobile performance, /connect', unit: 'score', value: summarize(connect), goal: '>= 95', note: `runs: ${connect.join(', ')}` },
			{ figure: 'Lighthouse mobile performance, signed-in screen', unit: 'score', value: summarize(signedIn), goal: '>= 97', note: `runs: ${signedIn.join(', ')}` }
		];
	} finally {
		chrome.kill();
	}
}
