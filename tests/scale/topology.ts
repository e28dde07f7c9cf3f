// Who is served by which replica and node in the replicated stack, told from the parts'
// own records: Envoy's per-host counters (admin /clusters), the API replicas' logs (one
// JSON line per RPC and per webhook) and the LiveKit URL each browser opened.
//
// A person "in zone k" is a browser whose calls to the server URL go through Envoy's zone-k
// front door, as if they lived near site k: the door prefers API replica k (which hands out
// the zone-k LiveKit door, which prefers LiveKit node k) and fails over to the other when
// k is down. The app is unchanged: the browser context rewrites the server's host:port, the
// way a near-by front door would be reached through DNS.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, WebSocket } from '@playwright/test';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { account, signIn } from '../e2e/sign-in.ts';
import { installAudioProbes, type MicMode } from '../e2e/voice-audio.ts';

export type Zone = 1 | 2;

export function zoneOf(stack: StackInfo, k: Zone) {
	const zone = stack.replicas?.zones[k - 1];
	if (!zone) throw new Error('The stack runs one replica: the scale tests need `replicas: 2` (tests/scale/global-setup.ts)');
	return zone;
}

export interface Person {
	context: BrowserContext;
	page: Page;
	/** Every WebSocket the page opened (LiveKit's signal connections), in order. */
	sockets: WebSocket[];
}

export async function personInZone(browser: Browser, stack: StackInfo, handle: string, zone: Zone, mic?: MicMode): Promise<Person> {
	const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'], viewport: { width: 390, height: 844 } });
	const server = new URL(stack.server);
	const door = new URL(zoneOf(stack, zone).server);
	// A glob, matched inside the browser driver: a function would pause every request of the
	// context (the PDS pages too) for a round trip to this process.
	await context.route(
		`${server.origin}/**`,
		(route) => {
			const url = new URL(route.request().url());
			url.host = door.host;
			return route.continue({ url: url.toString() });
		}
	);
	if (mic) await installAudioProbes(context, mic);
	const page = await context.newPage();
	const sockets: WebSocket[] = [];
	page.on('websocket', (ws) => sockets.push(ws));
	await signIn(page, account(stack, handle));
	return { context, page, sockets };
}

/** Envoy's per-host counters: `${cluster}::${host:port}::${stat}` -> value (numbers only). */
export async function envoyHostStats(stack: StackInfo): Promise<Map<string, number>> {
	const text = await (await fetch(`${stack.envoyAdmin}/clusters`)).text();
	const stats = new Map<string, number>();
	for (const line of text.split('\n')) {
		const m = line.match(/^([\w.]+)::([\d.]+:\d+)::(\w+)::(\d+)$/);
		if (m) stats.set(`${m[1]}::${m[2]}::${m[3]}`, Number(m[4]));
	}
	return stats;
}

/** Envoy's health flags for one host of a cluster ("healthy", or e.g. "/failed_active_hc"). */
export async function hostHealth(stack: StackInfo, cluster: string, url: string): Promise<string | undefined> {
	const text = await (await fetch(`${stack.envoyAdmin}/clusters`)).text();
	const prefix = `${cluster}::${hostOf(url)}::health_flags::`;
	return text.split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length);
}

export const hostOf = (url: string) => new URL(url).host;

export interface LogLine {
	time: string;
	msg: string;
	procedure?: string;
	code?: string;
	event?: string;
	room?: string;
}

/** The JSON lines API replica k has logged so far (restarts append to the same file). */
export function replicaLog(stack: StackInfo, k: Zone): LogLine[] {
	const file = path.join(stack.logsDir, `api-server-${k}.log`);
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.filter((l) => l.startsWith('{'))
		.map((l) => JSON.parse(l) as LogLine);
}

export const GET_CHANNEL_TOKEN = '/microclimate.channels.v1.ChannelsService/GetChannelToken';

export function countRpc(stack: StackInfo, k: Zone, procedure: string): number {
	return replicaLog(stack, k).filter((l) => l.msg === 'rpc' && l.procedure === procedure && l.code === 'ok').length;
}

/** When a watcher's page first shows `handle` in `channel`: installed before the change, read after. */
export async function watchFor(page: Page, channel: string, handle: string): Promise<() => Promise<number>> {
	await page.evaluate(
		({ channel, handle }) => {
			const w = window as unknown as { __seenAt?: number };
			delete w.__seenAt;
			const present = () => [...document.querySelectorAll(`[data-channel="${channel}"] .person`)].some((el) => el.textContent?.includes(`@${handle}`));
			const observer = new MutationObserver(() => {
				if (present()) {
					w.__seenAt = Date.now();
					observer.disconnect();
				}
			});
			observer.observe(document.body, { subtree: true, childList: true, characterData: true });
		},
		{ channel, handle }
	);
	return async () => {
		const at = await page.evaluate(() => (window as unknown as { __seenAt?: number }).__seenAt);
		if (at === undefined) throw new Error(`the watcher never showed @${handle} in ${channel}`);
		return at;
	};
}
