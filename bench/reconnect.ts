// Reconnect: alice (440 Hz) and bob (880 Hz) in a call through the app; the stack kills
// LiveKit (like a crash), and once both calls say "Reconnecting…" starts it again. Timed
// from the start command (and from the kill) until audio flows both ways again: inbound
// audio packets grow and energy arrives in a 250 ms window (stamped at the window's start),
// and the other person's tone is then the received peak.
import type { Browser, Page } from '@playwright/test';
import { sendControl } from '../scripts/stack/control.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import { energyGrowth, nearTone, receivedPeak } from '../tests/e2e/voice-audio.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { appJoin, appPerson, type Person } from './voice-people.ts';

const ROUNDS = 3;

/** performance.now() (bench process) of the start of the first window in which `tone` flows in. */
async function audioBack(page: Page, tone: number, timeoutMs = 60_000): Promise<number> {
	const deadline = performance.now() + timeoutMs;
	while (performance.now() < deadline) {
		const started = performance.now();
		if ((await energyGrowth(page, 250)) > 0.001 && nearTone(await receivedPeak(page), tone)) return started;
	}
	throw new Error(`no ${tone} Hz tone within ${timeoutMs} ms of the restart`);
}

const status = (page: Page, text: string) => page.getByTestId('call-status').filter({ hasText: text }).waitFor({ timeout: 30_000 });

export async function reconnectRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const people: Person[] = [];
	const fromStart: number[] = [];
	const fromStop: number[] = [];
	const boot: number[] = [];
	try {
		const alice = await appPerson(browser, stack, 'alice.test', { tone: 440 });
		const bob = await appPerson(browser, stack, 'bob.test', { tone: 880 });
		people.push(alice, bob);
		await appJoin(alice.page);
		await appJoin(bob.page);
		await audioBack(alice.page, 880, 15_000);
		await audioBack(bob.page, 440, 15_000);
		for (let round = 0; round < ROUNDS; round++) {
			const stopped = performance.now();
			await sendControl('livekit/stop');
			await Promise.all([status(alice.page, 'Reconnecting'), status(bob.page, 'Reconnecting')]);
			const started = performance.now();
			await sendControl('livekit/start'); // resolves once LiveKit answers its health check
			boot.push(performance.now() - started);
			const back = Math.max(...(await Promise.all([audioBack(alice.page, 880), audioBack(bob.page, 440)])));
			fromStart.push(back - started);
			fromStop.push(back - stopped);
			await Promise.all([status(alice.page, 'Connected'), status(bob.page, 'Connected')]);
			await alice.page.waitForTimeout(1000);
		}
	} finally {
		for (const p of people) await p.context.close();
	}
	return [
		{
			figure: 'reconnect: LiveKit start to audio both ways',
			unit: 'ms',
			value: summarize(fromStart),
			note: `${ROUNDS} rounds; LiveKit's own start to healthy ${summarize(boot).median.toFixed(0)} ms (included); resolution ~300 ms (250 ms windows)`
		},
		{
			figure: 'reconnect: LiveKit killed to audio both ways',
			unit: 'ms',
			value: summarize(fromStop),
			note: 'restarted as soon as both calls showed "Reconnecting…"'
		}
	];
}
