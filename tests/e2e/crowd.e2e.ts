// A full channel (issue 27, item 4), against the real stack: the e2e stack holds at most
// E2E_MAX_PER_CHANNEL people per channel (global-setup.ts), so two people fill one. The third,
// a fresh account made on the stack's PDS here, sees the channel marked full in the list and,
// tapping it anyway, gets "<channel> is full — N people" once: the app does not retry.
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { AtpAgent } from '@atproto/api';
import { test, expect } from './fixtures.ts';
import { E2E_MAX_PER_CHANNEL } from './global-setup.ts';
import { account, signIn, type Account } from './sign-in.ts';
import { installAudioProbes } from './voice-audio.ts';

const CHANNEL = 'quiet-room';
const NAME = 'Quiet room';

async function person(browser: Browser, app: string, who: Account): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	await installAudioProbes(context, { tone: 440 });
	const page = await context.newPage();
	await signIn(page, who);
	return { context, page };
}

const card = (page: Page) => page.locator(`[data-channel="${CHANNEL}"]`);

test.describe.configure({ mode: 'serial' });

test.describe('a full channel', () => {
	const people: { context: BrowserContext; page: Page }[] = [];

	test.afterAll(async () => {
		for (const p of people) await p.context.close();
	});

	test('the list marks it full, and the next person is told "Quiet room is full — 2 people" once, with no retry', async ({ browser, stack }) => {
		test.setTimeout(180_000);
		expect(E2E_MAX_PER_CHANNEL).toBe(2);
		// A third person: a real account on the stack's PDS, signed in through the app like anyone.
		const handle = `full${Date.now().toString(36)}.test`;
		const carol = { handle, email: `${handle}@example.com`, password: `${handle}-password` };
		const agent = new AtpAgent({ service: stack.pds });
		await agent.createAccount(carol);
		const third = { ...carol, did: agent.session!.did, displayName: '', color: [0, 0, 0] } as Account;

		for (const who of [account(stack, 'alice.test'), account(stack, 'bob.test')]) {
			const p = await person(browser, stack.app, who);
			people.push(p);
			await card(p.page).getByRole('button', { name: new RegExp(NAME) }).click();
			await expect(p.page.getByTestId('call-status')).toHaveText('Connected');
		}
		const late = await person(browser, stack.app, third);
		people.push(late);
		await expect(late.page.getByTestId('directory-status')).toHaveText('Live');
		// Both are in the server's list: the card says Full before anyone taps it.
		await expect(card(late.page).locator('.person')).toHaveCount(2);
		await expect(card(late.page)).toHaveAttribute('data-full', 'true');
		await expect(card(late.page).locator('.action')).toHaveText('Full');

		const asked: string[] = [];
		late.page.on('request', (r) => {
			if (r.url().includes('GetChannelToken')) asked.push(r.url());
		});
		await card(late.page).getByRole('button', { name: new RegExp(NAME) }).click();
		await expect(late.page.getByRole('alert').filter({ hasText: 'is full' })).toHaveText(`${NAME} is full — 2 people`);
		await expect(late.page.getByTestId('call-status')).toHaveCount(0);
		// No retry loop: one request, and none in the next seconds.
		await late.page.waitForTimeout(4000);
		expect(asked).toHaveLength(1);
		await expect(card(people[0]!.page).locator('.person')).toHaveCount(2);
	});
});
