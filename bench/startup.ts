// Cold and warm start of the first screen to interactive on a throttled phone profile
// (4x CPU slowdown, Lighthouse's mobile network: 150 ms RTT, 1.6 Mbps down), against an
// empty static page loaded the same way. /connect is prerendered, so its form paints from
// HTML and CSS (first contentful paint); "interactive" is the frame in which the hydrated
// page has started checking its server (the status reads "Checking…" or the server's name),
// which happens only once its JavaScript has run.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';

const ROUNDS = 5;

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

/** Milliseconds from navigation start to the first frame where `selector` exists, and to the first contentful paint. */
async function timeTo(page: Page, url: string, selector: string): Promise<{ ready: number; paint: number }> {
	await page.goto(url, { waitUntil: 'commit' });
	await page.waitForFunction((s) => document.querySelector(s) !== null, selector, { polling: 'raf', timeout: 60_000 });
	const ready = await page.evaluate(() => performance.now());
	const paint = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime, undefined, { timeout: 60_000 });
	return { ready, paint: (await paint.jsonValue()) as number };
}

/** Bytes that crossed the wire for the page and everything it loaded so far (as transferred, compressed). */
function transferred(page: Page): Promise<number> {
	return page.evaluate(() =>
		(performance.getEntriesByType('navigation') as PerformanceResourceTiming[])
			.concat(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
			.reduce((n, e) => n + e.transferSize, 0)
	);
}

async function measure(browser: Browser, url: string, selector: string) {
	const cold: number[] = [];
	const warm: number[] = [];
	const paint: number[] = [];
	const bytes: number[] = [];
	for (let i = 0; i < ROUNDS; i++) {
		const context = await browser.newContext();
		const page = await context.newPage();
		await throttle(page);
		const first = await timeTo(page, url, selector);
		cold.push(first.ready);
		paint.push(first.paint);
		bytes.push(await transferred(page));
		// Let a service worker (if any) finish installing before the warm load.
		await page.waitForTimeout(1500);
		const again = await context.newPage();
		await throttle(again);
		warm.push((await timeTo(again, url, selector)).ready);
		await context.close();
	}
	return { cold: summarize(cold), warm: summarize(warm), paint: summarize(paint), bytes: Math.max(...bytes) };
}

export async function startupRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const empty = http.createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=3600' });
		res.end('<!doctype html><meta charset="utf-8"><title>empty</title><p id="ready">ready</p>');
	});
	await new Promise<void>((resolve) => empty.listen(0, '127.0.0.1', resolve));
	const emptyUrl = `http://127.0.0.1:${(empty.address() as AddressInfo).port}/`;
	try {
		const base = await measure(browser, emptyUrl, '#ready');
		const app = await measure(browser, `${stack.app}/connect`, '#server-status.checking, #server-status.ok');
		return [
			{ figure: 'cold first contentful paint (/connect, 4x CPU, mobile net)', unit: 'ms', value: app.paint, baseline: base.paint, baselineLabel: 'empty page', note: 'the prerendered form, before its JavaScript' },
			{ figure: 'cold start to interactive (/connect, 4x CPU, mobile net)', unit: 'ms', value: app.cold, baseline: base.cold, baselineLabel: 'empty page', goal: '<= 2.5x empty page' },
			{ figure: 'warm start to interactive (/connect, second load)', unit: 'ms', value: app.warm, baseline: base.warm, baselineLabel: 'empty page', goal: '<= 2x empty page' },
			{ figure: 'first screen as transferred (/connect, cold, to interactive)', unit: 'KiB', value: app.bytes / 1024, note: `${app.bytes} bytes on the wire (compressed), HTML + JS + CSS + icons` }
		];
	} finally {
		empty.close();
	}
}
