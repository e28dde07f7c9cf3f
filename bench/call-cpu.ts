// CPU of a tab in a call, with end-to-end encryption and without: alice and bob (the app,
// each a tone) in Lobby (E2EE) and then in the plain channel (run.ts lists it, "e2ee": false),
// alice's renderer traced for a while in each (Chromium tracing, `toplevel` tasks). Reported:
// her main thread's and her workers' (livekit-client's E2EE worker) busy time per second of
// call, from the tasks' thread time (`tdur`, CPU) where the trace has it, else their duration.
import type { Browser, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import type { TraceEvent } from './trace-summary.ts';
import { appJoin, appLeave, appPerson } from './voice-people.ts';

/** Seconds of call traced in each mode, and calls of each (BENCH_CPU_CALLS). */
const TRACE_S = Number(process.env.BENCH_CPU_SECONDS ?? 8);
const CALLS = Number(process.env.BENCH_CPU_CALLS ?? 2);

interface ThreadTimes {
	main: number;
	workers: number;
	workerThreads: number;
}

/** ms of CPU per second of call on alice's main thread and her dedicated workers. */
async function traceCall(browser: Browser, page: Page): Promise<ThreadTimes> {
	const mark = `bench-cpu-${Math.random().toString(36).slice(2)}`;
	await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
	await page.evaluate((mark) => console.timeStamp(mark), mark);
	await page.waitForTimeout(TRACE_S * 1000);
	const events = (JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: (TraceEvent & { tdur?: number; cat?: string })[] }).traceEvents;
	const pid = events.find((e) => e.name === 'TimeStamp' && (e.args?.data as { message?: string } | undefined)?.message === mark)?.pid;
	if (pid === undefined) throw new Error('alice’s renderer is not in the trace');
	const names = new Map<number, string>();
	for (const e of events) if (e.pid === pid && e.ph === 'M' && e.name === 'thread_name') names.set(e.tid, e.args?.name ?? '');
	const busy = new Map<number, number>();
	// Top-level tasks only (the `toplevel` category), outermost first: nested ones are inside.
	const ends = new Map<number, number>();
	for (const e of events.filter((e) => e.pid === pid && e.ph === 'X' && e.cat?.split(',').includes('toplevel')).sort((a, b) => a.ts - b.ts)) {
		if (e.ts < (ends.get(e.tid) ?? 0)) continue;
		ends.set(e.tid, e.ts + (e.dur ?? 0));
		busy.set(e.tid, (busy.get(e.tid) ?? 0) + (e.tdur ?? e.dur ?? 0));
	}
	const per = (pred: (name: string) => boolean) => [...busy].filter(([tid]) => pred(names.get(tid) ?? '')).reduce((sum, [, us]) => sum + us, 0) / 1000 / TRACE_S;
	return {
		main: per((n) => n === 'CrRendererMain'),
		workers: per((n) => n.startsWith('DedicatedWorker')),
		workerThreads: [...names.values()].filter((n) => n.startsWith('DedicatedWorker')).length
	};
}

export async function callCpuRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const alice = await appPerson(browser, stack, 'alice.test', { tone: 440 });
	const bob = await appPerson(browser, stack, 'bob.test', { tone: 880 });
	const runs: Record<'e2ee' | 'plain', ThreadTimes[]> = { e2ee: [], plain: [] };
	try {
		for (let call = 0; call < CALLS; call++) {
			for (const mode of ['e2ee', 'plain'] as const) {
				const channel = mode === 'e2ee' ? 'lobby' : 'plain';
				await appJoin(bob.page, channel);
				await appJoin(alice.page, channel);
				await alice.page.waitForTimeout(2000); // keys exchanged, audio flowing
				runs[mode].push(await traceCall(browser, alice.page));
				await appLeave(alice.page);
				await appLeave(bob.page);
			}
		}
	} finally {
		await alice.context.close();
		await bob.context.close();
	}
	const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
	const note = (what: keyof ThreadTimes) => `${CALLS} calls of each, ${TRACE_S} s traced in each; E2EE ${list(runs.e2ee.map((r) => r[what]))}, without ${list(runs.plain.map((r) => r[what]))}`;
	return [
		{
			figure: 'a tab in a call: main-thread CPU, E2EE vs without',
			unit: 'ms/s',
			value: summarize(runs.e2ee.map((r) => r.main)),
			baseline: summarize(runs.plain.map((r) => r.main)),
			baselineLabel: 'the same app in a channel without E2EE',
			note: `${note('main')} (alice's renderer main thread, top-level tasks' CPU time, per second of call)`
		},
		{
			// No baseline: without E2EE the tab runs no worker (0 ms/s, listed in the note).
			figure: 'a tab in a call: worker CPU (the E2EE worker)',
			unit: 'ms/s',
			value: summarize(runs.e2ee.map((r) => r.workers)),
			note: `${note('workers')}; dedicated worker threads in her renderer: E2EE ${list(runs.e2ee.map((r) => r.workerThreads))}, without ${list(runs.plain.map((r) => r.workerThreads))}`
		}
	];
}
