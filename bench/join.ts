// Join: a click on "Lobby" to the first remote audio packet, against the bare
// livekit-client page (token minted by the bench, so no RPC) from Room.connect to the same
// packet. Bob is already in Lobby sending a tone; alice joins, leaves, joins again. Both
// are timed inside the page: the click's event time, the first getStats() poll (every
// ~4 ms) that shows inbound-rtp audio packetsReceived > 0.
// E2EE beside without: the same app joining the channel the bench lists as not encrypted
// (run.ts), bob moved there, for the same first packet and for the first moment bob's tone is
// heard (decrypted: with E2EE that waits for his key); rounds of the two alternate blocks.
import type { Browser, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { serveBarePage } from './bare/serve.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { appJoin, appLeave, appPerson, bareJoinStart, bareJoined, bareLeave, barePerson, lobbyButton, plainButton } from './voice-people.ts';
import { armFirstPacket, firstPacketAfter } from './voice-probes.ts';
import { armToneArrival } from '../tests/e2e/voice-audio.ts';

const ROUNDS = Number(process.env.BENCH_JOIN_ROUNDS ?? 10);
// One identity for every round, as alice is one DID: each round rejoins as someone who just left.
const BARE_IDENTITY = 'did:plc:benchbare';

/** "step +ms" medians across rounds, in the order they happen. */
export function medianSteps(rounds: readonly Record<string, number>[], keep: readonly string[]): string {
	return keep
		.map((what) => ({ what, xs: rounds.map((r) => r[what]).filter((x): x is number => x !== undefined) }))
		.filter(({ xs }) => xs.length > 0)
		.map(({ what, xs }) => ({ what, median: summarize(xs).median }))
		.sort((a, b) => a.median - b.median)
		.map(({ what, median }) => `${what} +${median.toFixed(0)}`)
		.join(', ');
}

/** The bench's detector: two looks in a row (figures compare with earlier runs), 10 s at most. */
const TONE_LOOKS = { looks: 2, timeoutMs: 10_000 };

/** ms from the click to bob's tone (armToneArrival), or NaN after 10 s. */
function toneAfterClick(page: Page): Promise<number> {
	return page.evaluate(async () => {
		const at = await window.__toneAt!;
		const click = window.__marks.find((m) => m.what === 'click')?.t;
		return click === undefined ? Number.NaN : at - click;
	});
}

export async function joinRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const bare = await serveBarePage(stack);
	const bob = await appPerson(browser, stack, 'bob.test', { tone: 880 });
	const alice = await appPerson(browser, stack, 'alice.test', { tone: 440 });
	const bareAlice = await barePerson(browser, bare, { tone: 440 });
	const app: { ms: number; steps: Record<string, number> }[] = [];
	const base: { ms: number; steps: Record<string, number> }[] = [];
	const heard: number[] = [];
	const plain: { ms: number; steps: Record<string, number> }[] = [];
	const plainHeard: number[] = [];
	try {
		await appJoin(bob.page);
		const settle = () => alice.page.waitForTimeout(500);
		for (let round = 0; round < ROUNDS; round++) {
			const runApp = async () => {
				await armFirstPacket(alice.page);
				await armToneArrival(alice.page, 880, TONE_LOOKS);
				await lobbyButton(alice.page).click();
				app.push(await firstPacketAfter(alice.page, 'click'));
				heard.push(await toneAfterClick(alice.page));
				await appJoin(alice.page); // already joined: waits for "Connected"
				await appLeave(alice.page);
				await settle();
			};
			const runBare = async () => {
				const token = await bare.token(BARE_IDENTITY, 'lobby');
				await armFirstPacket(bareAlice.page);
				await bareJoinStart(bareAlice, stack, token);
				base.push(await firstPacketAfter(bareAlice.page, 'connect called'));
				await bareJoined(bareAlice);
				await bareLeave(bareAlice);
				await settle();
			};
			// Alternate which goes first, so neither always runs on a just-warmed SFU.
			if (round % 2) await runBare().then(runApp);
			else await runApp().then(runBare);
		}
		// The same joins in the channel without E2EE (bob moves there).
		await appLeave(bob.page);
		await appJoin(bob.page, 'plain');
		for (let round = 0; round < ROUNDS; round++) {
			await armFirstPacket(alice.page);
			await armToneArrival(alice.page, 880, TONE_LOOKS);
			await plainButton(alice.page).click();
			plain.push(await firstPacketAfter(alice.page, 'click'));
			plainHeard.push(await toneAfterClick(alice.page));
			await appJoin(alice.page, 'plain');
			await appLeave(alice.page);
			await settle();
		}
	} finally {
		for (const p of [alice, bob, bareAlice]) await p.context.close();
		await bare.close();
	}
	const steps = ['fetch GetChannelToken start', 'fetch GetChannelToken headers', 'ws created', 'ws open', 'ws first message', 'pc created', 'pc connected'];
	return [
		{
			figure: 'join: "Lobby" click to first remote audio packet',
			unit: 'ms',
			value: summarize(app.map((r) => r.ms)),
			baseline: summarize(base.map((r) => r.ms)),
			baselineLabel: 'bare livekit-client: connect() to first packet',
			goal: '<= 1.1x bare',
			note: `round 1 includes loading the livekit-client chunk (the p95); median ms after click: ${medianSteps(app.map((r) => r.steps), steps)}; bare after connect(): ${medianSteps(base.map((r) => r.steps), steps)}`
		},
		{
			figure: 'join with E2EE vs without: click to first remote audio packet',
			unit: 'ms',
			value: summarize(app.map((r) => r.ms)),
			baseline: summarize(plain.map((r) => r.ms)),
			baselineLabel: 'the same app, channel without E2EE',
			goal: '<= 1.1x without',
			note: `${ROUNDS} joins each (E2EE rounds first, interleaved with the bare page; then the plain ones); without E2EE, median ms after click: ${medianSteps(plain.map((r) => r.steps), steps)}`
		},
		{
			figure: 'join with E2EE vs without: click to the other person’s tone heard',
			unit: 'ms',
			value: summarize(heard.filter((x) => !Number.isNaN(x))),
			baseline: summarize(plainHeard.filter((x) => !Number.isNaN(x))),
			baselineLabel: 'the same app, channel without E2EE',
			goal: '<= 1.1x without',
			note: `bob's 880 Hz found in a 2048-point FFT of the received track (decrypted, decoded); E2EE waits for his key; heard in ${heard.filter((x) => !Number.isNaN(x)).length}/${heard.length} and ${plainHeard.filter((x) => !Number.isNaN(x)).length}/${plainHeard.length} joins; ms: E2EE ${heard.map((x) => x.toFixed(0)).join(', ')}; without ${plainHeard.map((x) => x.toFixed(0)).join(', ')}`
		}
	];
}
