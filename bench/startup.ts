// Cold and warm start of the first screen to interactive on a throttled phone profile
// (4x CPU slowdown, Lighthouse's mobile network: 150 ms RTT, 1.6 Mbps down), against an
// empty static page loaded the same way. /connect is prerendered, so its form paints from
// HTML and CSS (first contentful paint); "interactive" is the frame in which the hydrated
// page has started checking its server (the status reads "Checking…" or the server's name),
// which happens only once its JavaScript has run. "Sign in ready" is when the server has
// answered the check (the status shows its name and the Sign in button is enabled). The
// warm start is a second visit: a new tab once the first is closed and its service worker
// active. Rounds of the empty page and the app alternate.
//
// The signed-in warm start (issue 26): a returning person opens `/` in a new tab, her session
// stored, the service worker active and her last known channel list kept by the earlier visit.
// "Channels painted" is the first frame with her channels on screen (the last known list, or
// the live one if it came first); "live list" is the first frame with the stream's list. The
// session is made by a script (bench/script-session.ts) and written where the app keeps it.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { scriptSignIn } from './script-session.ts';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { selfTimeByModule, type CpuProfile } from './trace-summary.ts';

// BENCH_STARTUP_ROUNDS=1 checks that the figures and the profile still come out, quickly.
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS) || 7;

async function throttle(page: Page): Promise<void> {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 150,
		downloadThroughput: (1.6 * 1024 * 1024) / 8,
		uploadThroughput: (750 * 1024) / 8
	});
}

/** Milliseconds from navigation start to the first frame where each selector exists, and to the first contentful paint. */
async function timeTo(page: Page, url: string, selector: string, then?: string): Promise<{ ready: number; paint: number; then?: number }> {
	await page.goto(url, { waitUntil: 'commit' });
	const frameWith = async (s: string) => {
		await page.waitForFunction((s) => document.querySelector(s) !== null, s, { polling: 'raf', timeout: 60_000 });
		return page.evaluate(() => performance.now());
	};
	const ready = await frameWith(selector);
	const later = then ? await frameWith(then) : undefined;
	const paint = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime, undefined, { timeout: 60_000 });
	return { ready, paint: (await paint.jsonValue()) as number, then: later };
}

/** Bytes that crossed the wire for the page and everything it had loaded by `until` (as transferred, compressed). */
function transferred(page: Page, until: number): Promise<number> {
	return page.evaluate((until) =>
		(performance.getEntriesByType('navigation') as PerformanceResourceTiming[])
			.concat(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
			.filter((e) => e.responseEnd <= until)
			.reduce((n, e) => n + e.transferSize, 0),
		until
	);
}

interface Target {
	url: string;
	/** The frame that counts as interactive. */
	selector: string;
	/** A later frame to time as well (the app: its server answered). */
	then?: string;
	/** The page installs a service worker: the warm load waits until it is active. */
	worker?: boolean;
	/** Instead of a timed cold load: an untimed first visit that readies the warm one (signs in). */
	visit?: (context: BrowserContext) => Promise<void>;
}

interface Round {
	cold: number;
	warm: number;
	coldThen?: number;
	warmThen?: number;
	paint: number;
	bytes: number;
}

/**
 * One cold load in a fresh profile, then a warm one: the first tab is closed (its idle work,
 * such as the OAuth client's preload, is not the second start's) once its service worker,
 * if any, is active, and the same page is opened again in a new tab.
 */
async function round(browser: Browser, target: Target): Promise<Round> {
	const context = await browser.newContext();
	try {
		if (target.visit) {
			await target.visit(context);
			const again = await context.newPage();
			await throttle(again);
			const second = await timeTo(again, target.url, target.selector, target.then);
			return { cold: Number.NaN, warm: second.ready, warmThen: second.then, paint: second.paint, bytes: 0 };
		}
		const page = await context.newPage();
		await throttle(page);
		const first = await timeTo(page, target.url, target.selector, target.then);
		const bytes = await transferred(page, first.ready);
		if (target.worker) {
			// The app registers its worker once it has hydrated (workbox-window); the worker
			// precaches the shell while installing and is "ready" once active.
			await page.waitForFunction(() => navigator.serviceWorker.getRegistration().then((r) => !!r), undefined, { polling: 100, timeout: 30_000 });
			await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
		}
		await page.close();
		const again = await context.newPage();
		await throttle(again);
		const second = await timeTo(again, target.url, target.selector, target.then);
		return { cold: first.ready, warm: second.ready, coldThen: first.then, warmThen: second.then, paint: first.paint, bytes };
	} finally {
		await context.close();
	}
}

type Measured = Awaited<ReturnType<typeof measure>>[number];

/** Built chunk file -> the module it is named after (Vite's manifest: "nodes/2", "rpc", "session.svelte"). */
function chunkNames(): Map<string, string> {
	const file = path.join(import.meta.dirname, '..', '.svelte-kit', 'output', 'client', '.vite', 'manifest.json');
	const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { file: string; name?: string; src?: string }>;
	return new Map(Object.values(manifest).map((c) => [c.file, c.name ?? c.src ?? c.file]));
}

/**
 * A warm start like the measured ones with V8's sampling profiler on (100 µs), to its first
 * frame (the selector) and to its later one (`then`): self time summed per module.
 */
async function profileWarmStart(browser: Browser, target: Target, label: string): Promise<string> {
	const names = chunkNames();
	const name = (url: string) => {
		const p = url.replace(/^https?:\/\/[^/]+\//, '').replace(/\?.*$/, '');
		return names.has(p) ? `${names.get(p)} (${path.basename(p)})` : p || '(inline)';
	};
	const context = await browser.newContext();
	try {
		if (target.visit) await target.visit(context);
		else {
			const first = await context.newPage();
			await first.goto(target.url);
			if (target.worker) await first.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
			await first.close();
		}
		const page = await context.newPage();
		await throttle(page);
		const cdp = await context.newCDPSession(page);
		await cdp.send('Profiler.enable');
		await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
		const lines: string[] = [];
		// Stops the profile once the page has shown `selector`, and counts only the samples
		// up to the frame that showed it: the page's clock says how long ago that frame was
		// (the cut errs early by at most the round trip of that last question).
		const until = async (selector: string, what: string) => {
			const frame = (await (await page.waitForFunction((s) => (document.querySelector(s) ? performance.now() : 0), selector, { polling: 'raf', timeout: 60_000 })).jsonValue()) as number;
			const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
			const ago = (await page.evaluate(() => performance.now())) - frame;
			const modules = selfTimeByModule(profile, name, profile.endTime - ago * 1000);
			// The whole profile, for DevTools' Performance panel or a per-function look.
			const file = path.join(import.meta.dirname, 'results', `startup-${label.replace(/\W+/g, '-').replace(/^-|-$/g, '')}-${what.split(' ')[1]}.cpuprofile`);
			fs.mkdirSync(path.dirname(file), { recursive: true });
			fs.writeFileSync(file, JSON.stringify({ ...profile, countedUntil: profile.endTime - ago * 1000 }));
			const total = modules.reduce((n, [, ms]) => n + ms, 0);
			lines.push(`   to ${what} (${frame.toFixed(0)} ms after navigation start): ${total.toFixed(0)} ms of CPU (4x slowed), self time by module:`);
			for (const [module, ms] of modules.slice(0, 18)) lines.push(`     ${ms.toFixed(1).padStart(7)} ms  ${module}`);
		};
		await cdp.send('Profiler.start');
		await page.goto(target.url, { waitUntil: 'commit' });
		await until(target.selector, 'the first useful frame');
		if (target.then) {
			// The rest: profiled again from just after the first frame (a round trip is not counted).
			await cdp.send('Profiler.start');
			await until(target.then, 'the later frame, counted from just after the first');
		}
		return [`-- profile of a warm start, ${label}`, ...lines].join('\n');
	} finally {
		await context.close();
	}
}

/** Rounds of each target in turn (A, B, A, B, …), so drift in the machine's load hits both alike. */
async function measure(browser: Browser, targets: Target[]) {
	const rounds: Round[][] = targets.map(() => []);
	for (let i = 0; i < ROUNDS; i++) for (const [t, target] of targets.entries()) rounds[t]!.push(await round(browser, target));
	return rounds.map((rs) => {
		const pick = (f: (r: Round) => number | undefined) => rs.map(f).filter((v): v is number => v !== undefined && !Number.isNaN(v));
		const summarizeAny = (xs: number[]) => (xs.length ? summarize(xs) : undefined);
		return {
			cold: summarizeAny(pick((r) => r.cold))!,
			warm: summarize(pick((r) => r.warm)),
			coldThen: summarizeAny(pick((r) => r.coldThen)),
			warmThen: summarizeAny(pick((r) => r.warmThen)),
			paint: summarize(pick((r) => r.paint)),
			bytes: Math.max(...pick((r) => r.bytes))
		};
	});
}

export async function startupRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const empty = http.createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=3600' });
		res.end('<!doctype html><meta charset="utf-8"><title>empty</title><p id="ready">ready</p>');
	});
	await new Promise<void>((resolve) => empty.listen(0, '127.0.0.1', resolve));
	const emptyUrl = `http://127.0.0.1:${(empty.address() as AddressInfo).port}/`;
	const alice = await scriptSignIn(stack, 'alice.test', createGrpcWebTransport({ baseUrl: stack.server, useBinaryFormat: true }));
	try {
		const connect: Target = { url: `${stack.app}/connect`, selector: '#server-status.checking, #server-status.ok', then: '#server-status.ok', worker: true };
		const signedIn: Target = { url: `${stack.app}/`, selector: 'ul.channels [data-channel]', then: 'ul.channels[data-source="stream"] [data-channel]', visit: (context) => signedInVisit(context, stack, alice) };
		const [base, app, home] = (await measure(browser, [{ url: emptyUrl, selector: '#ready' }, connect, signedIn])) as [Measured, Measured, Measured];
		// Where the CPU of a warm start goes, per module (issue 26): one profiled round each.
		console.log(await profileWarmStart(browser, signedIn, 'signed in, /'));
		console.log(await profileWarmStart(browser, connect, '/connect'));
		return [
			{ figure: 'warm start, signed in: channels painted (/, last known list)', unit: 'ms', value: home.warm, baseline: base.warm, baselineLabel: 'empty page', goal: '<= 1.5x empty page', note: 'her channels on screen, last known or live, whichever first' },
			{ figure: 'warm start, signed in: live list (/)', unit: 'ms', value: home.warmThen!, baseline: base.warm, baselineLabel: 'empty page', goal: '<= 2.5x empty page', note: 'the WatchChannels snapshot on screen' },
			{ figure: 'cold first contentful paint (/connect, 4x CPU, mobile net)', unit: 'ms', value: app.paint, baseline: base.paint, baselineLabel: 'empty page', note: 'the prerendered form, before its JavaScript' },
			{ figure: 'cold start to interactive (/connect, 4x CPU, mobile net)', unit: 'ms', value: app.cold, baseline: base.cold, baselineLabel: 'empty page', goal: '<= 2.5x empty page' },
			{ figure: 'warm start to interactive (/connect, second load)', unit: 'ms', value: app.warm, baseline: base.warm, baselineLabel: 'empty page', goal: '<= 2x empty page' },
			{ figure: 'cold start to Sign in ready (/connect, server checked)', unit: 'ms', value: app.coldThen!, note: 'the local server has answered GetServerInfo: its name shows and Sign in is enabled' },
			{ figure: 'warm start to Sign in ready (/connect, server checked)', unit: 'ms', value: app.warmThen! },
			{ figure: 'first screen as transferred (/connect, cold, to interactive)', unit: 'KiB', value: app.bytes / 1024, note: `${app.bytes} bytes on the wire (compressed), HTML + JS + CSS + icons` }
		];
	} finally {
		empty.close();
	}
}

/**
 * The returning person's earlier visit: the app loaded (its service worker installs), her
 * session written where the app keeps it, `/` opened until its live list was on screen and
 * kept as the last known list; then the tab is closed.
 */
async function signedInVisit(context: BrowserContext, stack: StackInfo, who: { did: string; token: string }): Promise<void> {
	const page = await context.newPage();
	await page.goto(`${stack.app}/connect`);
	const exp = (JSON.parse(Buffer.from(who.token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
	const record = { serverUrl: stack.server, did: who.did, handle: 'alice.test', token: who.token, expiresAt: exp * 1000 };
	await page.evaluate(
		(record) =>
			new Promise<void>((resolve, reject) => {
				const open = indexedDB.open('microclimate');
				open.onupgradeneeded = () => open.result.createObjectStore('app');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const tx = open.result.transaction('app', 'readwrite');
					tx.objectStore('app').put(record, 'session');
					tx.oncomplete = () => (open.result.close(), resolve());
					tx.onerror = () => reject(tx.error);
				};
			}),
		record
	);
	await page.goto(`${stack.app}/`);
	await page.waitForSelector('ul.channels[data-source="stream"] [data-channel]', { timeout: 30_000 });
	await page.waitForFunction(
		() =>
			new Promise<boolean>((resolve) => {
				const open = indexedDB.open('microclimate');
				open.onsuccess = () => {
					const get = open.result.transaction('app').objectStore('app').get('last-known-channels');
					get.onsuccess = () => resolve(get.result !== undefined);
					get.onerror = () => resolve(false);
				};
				open.onerror = () => resolve(false);
			}),
		undefined,
		{ polling: 200, timeout: 30_000 }
	);
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
	await page.close();
}
