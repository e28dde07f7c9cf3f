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

/** Three audits; a run Lighthouse gives up on (NO_FCP on an overloaded machine) is reported, not fatal. */
async function runs(url: string, port: number, keepStorage: boolean): Promise<{ scores: number[]; failed: string[] }> {
	const scores: number[] = [];
	const failed: string[] = [];
	for (let i = 0; i < RUNS; i++) {
		try {
			scores.push((await audit(url, port, { keepStorage })).performance);
		} catch (err) {
			failed.push(err instanceof Error ? err.message.replace(/^Lighthouse failed on \S+: /, '').split(' ')[0]! : String(err));
		}
	}
	return { scores, failed };
}

function row(figure: string, goal: string, r: { scores: number[]; failed: string[] }): Row {
	const note = `runs: ${[...r.scores.map(String), ...r.failed.map((f) => `failed (${f})`)].join(', ')}`;
	return { figure, unit: 'score', value: r.scores.length ? summarize(r.scores) : Number.NaN, goal, note };
}

export async function lighthouseRows(stack: StackInfo): Promise<Row[]> {
	const chrome = await launchChromium(stack.chromium);
	try {
		const connect = await runs(`${stack.app}/connect`, chrome.port, false);
		const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
		const page = await browser.contexts()[0]!.newPage();
		await signIn(page, stack);
		await page.close();
		const signedIn = await runs(`${stack.app}/`, chrome.port, true);
		await browser.close();
		return [row('Lighthouse mobile performance, /connect', '>= 97', connect), row('Lighthouse mobile performance, signed-in screen', '>= 97', signedIn)];
	} finally {
		chrome.kill();
	}
}
