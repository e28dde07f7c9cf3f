// Join: a click on "Lobby" to the first remote audio packet, against the bare
// livekit-client page (token minted by the bench, so no RPC) from Room.connect to the same
// packet. Bob is already in Lobby sending a tone; alice joins, leaves, joins again. Both
// are timed inside the page: the click's event time, the first getStats() poll (every
// ~4 ms) that shows inbound-rtp audio packetsReceived > 0.
import type { Browser } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { serveBarePage } from './bare/serve.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { appJoin, appLeave, appPerson, bareJoinStart, bareJoined, bareLeave, barePerson, lobbyButton } from './voice-people.ts';
import { armFirstPacket, firstPacketAfter } from './voice-probes.ts';

const ROUNDS = 10;
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

export async function joinRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const bare = await serveBarePage(stack);
	const bob = await appPerson(browser, stack, 'bob.test', { tone: 880 });
	const alice = await appPerson(browser, stack, 'alice.test', { tone: 440 });
	const bareAlice = await barePerson(browser, bare, { tone: 440 });
	const app: { ms: number; steps: Record<string, number> }[] = [];
	const base: { ms: number; steps: Record<string, number> }[] = [];
	try {
		await appJoin(bob.page);
		const settle = () => alice.page.waitForTimeout(500);
		for (let round = 0; round < ROUNDS; round++) {
			const runApp = async () => {
				await armFirstPacket(alice.page);
				await lobbyButton(alice.page).click();
				app.push(await firstPacketAfter(alice.page, 'click'));
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
		}
	];
}
