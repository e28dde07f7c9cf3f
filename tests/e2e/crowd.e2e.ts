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
import { joinCrowd, type RtcCrowd } from '../../bench/crowd/rtc-people.ts';

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

// A crowd (issue 27, item 2), against the real stack: 11 people made on the stack's PDS, signed
// in through the API server and joined to LiveKit with @livekit/rtc-node (bench/crowd/
// rtc-people.ts), 4 speaking a tone pattern and 7 listening with no microphone. Alice makes 12.
test.describe('a crowd in Lobby', () => {
	let crowd: RtcCrowd | undefined;
	let alice: { context: BrowserContext; page: Page } | undefined;

	test.afterAll(async () => {
		await alice?.context.close();
		await crowd?.close();
	});

	test('speakers first, listeners summarised as "and 7 listening", and the crowd speaking changes no row of anyone else', async ({ browser, stack }, info) => {
		test.setTimeout(240_000);
		crowd = await joinCrowd({ pds: stack.pds, server: stack.server, channelId: 'lobby', speakers: 4, listeners: 7 });
		alice = await person(browser, stack.app, account(stack, 'alice.test'));
		const { page } = alice;
		const lobby = page.locator('[data-channel="lobby"]');
		await expect(page.getByTestId('directory-status')).toHaveText('Live');
		// Before she joins: the server's list, 4 speakers shown, the 7 muted summarised.
		await expect(lobby.getByRole('list', { name: 'Speaking in Lobby' }).locator('.person')).toHaveCount(4);
		await expect(lobby.getByRole('button', { name: 'and 7 listening' })).toHaveAttribute('aria-expanded', 'false');
		await expect(lobby.locator('.person')).toHaveCount(4);
		// Lobby holds 16 here (its own "max"), the server 2 a channel: with 11 inside it is not
		// full, once the server's limits have arrived too (the same answer as its name, the title).
		await expect(page).toHaveTitle('Microclimate Local');
		await expect(lobby).not.toHaveAttribute('data-full');
		await expect(lobby.locator('.action')).not.toHaveText('Full');

		await lobby.getByRole('button', { name: /Lobby/ }).first().click();
		await expect(page.getByTestId('call-status')).toHaveText('Connected');
		const speaking = lobby.getByRole('list', { name: 'Speaking in Lobby' });
		// She is a speaker (her microphone is open), the first row.
		await expect(speaking.locator('.person')).toHaveCount(5);
		await expect(speaking.locator('.person').first()).toContainText('(you)');
		// The crowd's apps exchange no call keys (rtc-node, no E2EE): the dock says so in one
		// line, not eleven that would cover the list.
		await expect(page.getByTestId('waiting-key')).toHaveText(/^Waiting for keys from \S+, \S+ and 9 others…$/);
		const listening = lobby.getByRole('button', { name: 'and 7 listening' });
		await listening.click();
		await expect(listening).toHaveAttribute('aria-expanded', 'true');
		const listeners = lobby.getByRole('list', { name: 'Listening in Lobby' }).locator('.person');
		await expect(listeners).toHaveCount(7);
		for (const p of crowd.people) {
			const row = lobby.locator(`.person[data-did="${p.did}"]`);
			await expect(row).toHaveAttribute('data-muted', p.speaker ? 'false' : 'true');
		}
		const speakerDids = crowd.people.filter((p) => p.speaker).map((p) => p.did);
		for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 900 }]] as const) {
			await page.setViewportSize(viewport);
			await page.screenshot({ path: info.outputPath(`crowd-${size}.png`), fullPage: true });
		}
		await page.setViewportSize({ width: 390, height: 844 });

		// 6 s of the crowd speaking: every change to the listeners' rows and to the speakers' rows
		// is recorded. The speakers' rows change (their speaking flag comes and goes); nobody else's do.
		const seen = await page.evaluate(
			async ({ speakers }) => {
				const changes = { listeners: [] as string[], speakers: 0 };
				const rows = [...document.querySelectorAll<HTMLElement>('[data-channel="lobby"] .person')];
				for (const row of rows) {
					const did = row.dataset.did!;
					const isSpeaker = speakers.includes(did);
					if (!isSpeaker && !row.textContent?.includes('(you)')) {
						new MutationObserver((records) => changes.listeners.push(...records.map((r) => `${did} ${r.type} ${r.attributeName ?? ''}`))).observe(row, { subtree: true, attributes: true, childList: true, characterData: true });
					} else if (isSpeaker) {
						new MutationObserver((records) => (changes.speakers += records.length)).observe(row, { subtree: true, attributes: true, childList: true, characterData: true });
					}
				}
				await new Promise((r) => setTimeout(r, 6000));
				return changes;
			},
			{ speakers: speakerDids }
		);
		expect(seen.speakers).toBeGreaterThan(0);
		expect(seen.listeners).toEqual([]);
	});
});
