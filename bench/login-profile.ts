// What the browser does between the PDS's redirect to /oauth/callback and the signed-in
// screen (the "login, app part" figure of bench/login.ts), from a Chromium trace of the
// whole browser (every renderer: the popup's callback page and the opener), not a guess.
// Prints per process the busy main-thread time, the long tasks (> 50 ms) and the functions
// with the most self time (V8's sampling profiler inside the trace), and writes the trace to
// bench/results/login-trace.json (open it in chrome://tracing or DevTools' Performance tab).
//
//   source /work/wt/ports-hK.sh && sh scripts/env.sh tsx bench/login-profile.ts [rounds]
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { startStack } from '../scripts/stack/index.ts';
import { chromiumArgs } from '../tests/e2e/browser.ts';
import { atConsentPage, untilSignedIn } from './login.ts';
import { requestWaterfall, summarizeTrace, type TraceEvent } from './trace-summary.ts';

const rounds = Number(process.argv[2] ?? 3);
const root = path.resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
	const stack = await startStack({ build: true, chromium: true });
	const browser = await chromium.launch({ executablePath: stack.info.chromium, args: chromiumArgs });
	try {
		const alice = stack.info.accounts.find((a) => a.handle === 'alice.test')!;
		for (let round = 0; round < rounds; round++) {
			const { context, page, authorize, callbackAt } = await atConsentPage(browser, stack.info.app, alice);
			await browser.startTracing(undefined, {
				categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'disabled-by-default-v8.cpu_profiler', 'blink.user_timing', 'loading', 'netlog']
			});
			await authorize.click();
			await untilSignedIn(page, alice.handle);
			const doneAt = performance.now();
			const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: TraceEvent[] };
			console.log(`\n=== round ${round + 1}: callback to signed-in ${(doneAt - (callbackAt() ?? Number.NaN)).toFixed(0)} ms (wall clock, Playwright's view)`);
			console.log(summarizeTrace(trace.traceEvents, stack.info.app));
			console.log(requestWaterfall(trace.traceEvents, `${stack.info.app}/oauth/callback`));
			if (round === rounds - 1) {
				mkdirSync(path.join(root, 'bench/results'), { recursive: true });
				writeFileSync(path.join(root, 'bench/results/login-trace.json'), JSON.stringify(trace));
			}
			await context.close();
		}
	} finally {
		await browser.close();
		await stack.stop();
	}
}

main().catch((err: unknown) => {
	console.error(err instanceof Error ? (err.stack ?? err.message) : err);
	process.exit(1);
});
