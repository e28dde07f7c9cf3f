// `npm run bench`: starts the local stack (the same orchestrator as npm start and the
// tests), runs each benchmark for a fixed number of rounds, prints one table and writes it
// to bench/results/latest.{json,md}. Not part of npm test.
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { startStack } from '../scripts/stack/index.ts';
import { chromiumArgs } from '../tests/e2e/browser.ts';
import { bundleRows } from './bundle.ts';
import { crowdOptions, crowdRows, crowdServerEnv, runCrowd } from './crowd/crowd.ts';
import { crowdTabOptions, crowdTabRows, crowdTabServerEnv, runCrowdTab } from './crowd/tab.ts';
import { joinRows } from './join.ts';
import { lighthouseRows } from './lighthouse.ts';
import { loginRows } from './login.ts';
import { mouthToEarRows } from './mouth-to-ear.ts';
import { renderMarkdown, writeResults, type Row } from './report.ts';
import { PRESENCE_SERVER_ENV, presenceRows } from './presence.ts';
import { reconnectRows } from './reconnect.ts';
import { rpcRows } from './rpc.ts';
import { scaleRows } from './scale.ts';
import { startupRows } from './startup.ts';
import { callCpuRows } from './call-cpu.ts';
import { PLAIN_CHANNEL } from './voice-people.ts';
import { DEFAULT_CHANNELS } from '../server/config.ts';
import { storeLatencyRows } from './store-latency.ts';

const root = path.resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
	const t0 = performance.now();
	const rows: Row[] = [];
	// BENCH_ONLY=startup,login runs a subset (by key) while working on one figure.
	const only = process.env.BENCH_ONLY?.split(',').map((k) => k.trim());
	const step = async (key: string, name: string, run: () => Promise<Row[]> | Row[]) => {
		if (only && !only.includes(key)) return;
		const started = performance.now();
		process.stdout.write(`[bench] ${name}… `);
		try {
			rows.push(...(await run()));
			process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
		} catch (err) {
			process.stdout.write('failed\n');
			rows.push({ figure: name, unit: 'ms', value: Number.NaN, note: `FAILED: ${err instanceof Error ? err.message : String(err)}` });
		}
	};
	// The figures on the single stack; skipped whole when BENCH_ONLY names none of them.
	const SINGLE = ['bundle', 'startup', 'lighthouse', 'login', 'rpc', 'join', 'm2e', 'cpu', 'reconnect', 'presence', 'store'];
	if (!only || only.some((k) => SINGLE.includes(k))) await singleStack(step);
	// The replicated stack (Redis, 2 API replicas, 2 LiveKit nodes) on the same ports, after the
	// single one is down; it reuses the app just built.
	if (!only || only.includes('scale')) {
		const replicated = await startStack({ build: false, replicas: 2 });
		try {
			await step('scale', '2 replicas vs 1', () => scaleRows(replicated.info));
		} finally {
			await replicated.stop();
		}
	}
	// A crowd (bench/crowd): its own single stack with CROWD_* sizes, many channels and
	// accounts; the API server inherits the env (server settings the crowd needs).
	if (!only || only.includes('crowd')) {
		const options = crowdOptions();
		const env = crowdServerEnv(options);
		const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
		Object.assign(process.env, env);
		const crowd = await startStack({ build: 'auto', replicas: options.replicas });
		for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
		else process.env[k] = v;
		try {
			await step('crowd', `a crowd: ${options.people} people, ${options.channels} channels`, async () =>
				crowdRows(await runCrowd(crowd.info, options, (line) => process.stdout.write(`\n[crowd] ${line}`)))
			);
		} finally {
			await crowd.stop();
		}
	}
	// The tab in a crowd (bench/crowd/tab.ts): its own single stack with three channels, an
	// rtc-node crowd in one of them, and one person in Chromium.
	if (!only || only.includes('crowd-tab')) {
		const options = crowdTabOptions();
		const stack = await withEnv(crowdTabServerEnv(), () => startStack({ build: 'auto', chromium: true }));
		const browser = await chromium.launch({ executablePath: stack.info.chromium, args: chromiumArgs });
		try {
			await step('crowd-tab', `the tab in a crowd: ${options.speakers} speakers + ${options.listeners} listeners`, async () =>
				crowdTabRows(await runCrowdTab(stack.info, browser, options, (line) => process.stdout.write(`\n[crowd-tab] ${line}`)))
			);
		} finally {
			await browser.close();
			await stack.stop();
		}
	}
	const header = `Microclimate bench — ${new Date().toISOString()} — ${os.cpus().length} cores, Node ${process.version} — ${((performance.now() - t0) / 1000).toFixed(0)} s`;
	const markdown = renderMarkdown(rows, header);
	console.log(`\n${markdown}\n`);
	writeResults(path.join(root, 'bench/results'), rows, markdown);
	console.log('written to bench/results/latest.md and latest.json');
	if (rows.some((r) => r.note?.startsWith('FAILED'))) process.exitCode = 1;
}

/** Runs `start` with `env` added to process.env (the stack's processes inherit it), then restores it. */
async function withEnv<T>(env: Record<string, string>, start: () => Promise<T>): Promise<T> {
	const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
	Object.assign(process.env, env);
	try {
		return await start();
	} finally {
		for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
		else process.env[k] = v;
	}
}

type Step = (key: string, name: string, run: () => Promise<Row[]> | Row[]) => Promise<void>;

async function singleStack(step: Step): Promise<void> {
	Object.assign(process.env, PRESENCE_SERVER_ENV); // the API server inherits it (see presence.ts)
	// The default channels and one declared not encrypted: E2EE beside without, in the same app.
	process.env.MICROCLIMATE_CHANNELS = JSON.stringify([...DEFAULT_CHANNELS, PLAIN_CHANNEL]);
	const stack = await startStack({ build: true, chromium: true });
	const browser = await chromium.launch({ executablePath: stack.info.chromium, args: chromiumArgs });
	try {
		await step('bundle', 'bundle sizes', () => bundleRows());
		await step('startup', 'cold and warm start', () => startupRows(stack.info, browser));
		// Page-load figures first, on a quiet stack: Lighthouse scores CPU time, and the load
		// steps below (1,000 presence streams, an SFU restart) leave the server busy a while.
		await step('lighthouse', 'Lighthouse mobile', () => lighthouseRows(stack.info));
		await step('login', 'login', () => loginRows(stack.info, browser));
		await step('rpc', 'RPC through Envoy vs direct', () => rpcRows(stack.info));
		await step('join', 'join', () => joinRows(stack.info, browser));
		await step('m2e', 'mouth-to-ear', () => mouthToEarRows(stack.info, browser));
		await step('cpu', 'CPU of a tab in a call, E2EE and without', () => callCpuRows(stack.info, browser));
		await step('reconnect', 'reconnect after an SFU restart', () => reconnectRows(stack.info, browser));
		await step('presence', 'presence fan-out', () => presenceRows(stack.info));
		await step('store', 'CreateSession on Redis vs in memory', () => storeLatencyRows(stack.info));
	} finally {
		await browser.close();
		await stack.stop();
	}
}

main().catch((err: unknown) => {
	console.error(err instanceof Error ? err.message : err);
	process.exit(1);
});
