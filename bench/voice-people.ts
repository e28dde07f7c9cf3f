// The people of the voice benchmarks, each in their own browser context: signed in to the
// app through the real PDS popup (the e2e sign-in), or on the bare livekit-client page.
// Their microphone is a steady tone (the e2e probes) or a gated tone a benchmark bursts.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { account, signIn } from '../tests/e2e/sign-in.ts';
import { installAudioProbes } from '../tests/e2e/voice-audio.ts';
import type { BarePage } from './bare/serve.ts';
import { installGatedMic, installMilestones } from './voice-probes.ts';

export type Mic = { tone: number } | 'gated';

export interface Person {
	context: BrowserContext;
	page: Page;
}

async function newPerson(browser: Browser, mic: Mic, baseURL?: string): Promise<Person> {
	// bypassCSP: the m2e detector loads an AudioWorklet from a blob: URL, which the app's
	// strict CSP (rightly) refuses; nothing else in the app depends on the CSP.
	const context = await browser.newContext({ baseURL, permissions: ['microphone'], bypassCSP: true });
	// tsx compiles this code with esbuild's keepNames, which wraps the functions passed to
	// page.evaluate and addInitScript in a __name() helper the page does not have.
	await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
	await installAudioProbes(context, mic === 'gated' ? { tone: 1000 } : mic);
	await installMilestones(context);
	if (mic === 'gated') await installGatedMic(context);
	return { context, page: await context.newPage() };
}

export async function appPerson(browser: Browser, stack: StackInfo, handle: string, mic: Mic): Promise<Person> {
	const person = await newPerson(browser, mic, stack.app);
	await signIn(person.page, account(stack, handle));
	await person.page.getByTestId('directory-status').filter({ hasText: 'Live' }).waitFor();
	return person;
}

export const lobbyButton = (page: Page) => page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ });

/** A channel the bench's server lists as not end-to-end encrypted (run.ts): the same app, no E2EE. */
export const PLAIN_CHANNEL = { id: 'open-mic', name: 'Open mic', e2ee: false } as const;
export const plainButton = (page: Page) => page.locator(`[data-channel="${PLAIN_CHANNEL.id}"]`).getByRole('button', { name: /Open mic/ });

/** Joins Lobby (end-to-end encrypted), or the plain channel. */
export async function appJoin(page: Page, channel: 'lobby' | 'plain' = 'lobby'): Promise<void> {
	await (channel === 'plain' ? plainButton(page) : lobbyButton(page)).click();
	await page.getByTestId('call-status').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
}

export async function appLeave(page: Page): Promise<void> {
	await page.getByRole('button', { name: 'Leave channel' }).click();
	await page.getByTestId('call-status').waitFor({ state: 'detached' });
}

export async function barePerson(browser: Browser, bare: BarePage, mic: Mic): Promise<Person> {
	const person = await newPerson(browser, mic);
	await person.page.goto(bare.url);
	await person.page.locator('body[data-ready]').waitFor({ state: 'attached' });
	return person;
}

/** Starts a bare join without waiting for it; the "connect called" mark is stamped first. */
export async function bareJoinStart(person: Person, stack: StackInfo, token: string): Promise<void> {
	await person.page.evaluate(
		({ url, token }) => {
			window.__marks.push({ what: 'connect called', t: performance.now() });
			window.__joined = window.bare.join(url, token);
		},
		{ url: stack.livekit.url, token }
	);
}

export async function bareJoined(person: Person): Promise<void> {
	await person.page.evaluate(() => window.__joined);
}

export async function bareLeave(person: Person): Promise<void> {
	await person.page.evaluate(() => window.bare.leave());
}
