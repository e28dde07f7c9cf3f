// Mouth-to-ear: a 1 kHz tone burst through the SFU, from one tab's microphone to another
// tab's received track, in the app (alice and bob in Lobby) and between two bare
// livekit-client pages (room bench-m2e), bursts of the two paths interleaved.
// Sender: the gated microphone opens at an AudioContext time; receiver: an AudioWorklet on
// the received tracks reports the context time of the first sample above 0.1. Both context
// times become performance.timeOrigin + performance.now() through getOutputTimestamp(); the
// tabs share this machine's clock, and both mappings include the same output latency
// (same browser, same device), which cancels in the difference. "Ear" is the received
// track after the jitter buffer and decoder, the same point on both paths.
import type { Browser, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { serveBarePage } from './bare/serve.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { appJoin, appPerson, bareJoinStart, bareJoined, barePerson, type Person } from './voice-people.ts';

const BURSTS = 15;
/** Bursts per run: the ratio is reported per run of this many (min / median / max across runs). */
const RUN = 5;

declare global {
	interface Window {
		__onset?: { ctx: AudioContext; node: AudioWorkletNode };
		__onsetAt?: Promise<number>;
	}
}

const ONSET_WORKLET = `
class Onset extends AudioWorkletProcessor {
	constructor() { super(); this.armed = false; this.port.onmessage = (e) => { this.armed = e.data; }; }
	process(inputs) {
		if (!this.armed) return true;
		for (const input of inputs) for (const ch of input) for (let i = 0; i < ch.length; i++) {
			if (Math.abs(ch[i]) > 0.1) { this.armed = false; this.port.postMessage(currentTime + i / sampleRate); return true; }
		}
		return true;
	}
}
registerProcessor('onset', Onset);`;

/**
 * (Re)builds the detector on every live received audio track, or on the tab's own
 * microphone track (`own`: the calibration loop); returns how many tracks.
 */
function listen(page: Page, own = false): Promise<number> {
	return page.evaluate(async ({ code, own }) => {
		await window.__onset?.ctx.close();
		const tracks = own
			? [window.__mic!.track]
			: window.__pcs
					.filter((pc) => pc.connectionState !== 'closed')
					.flatMap((pc) => pc.getReceivers().map((r) => r.track))
					.filter((t) => t.kind === 'audio' && t.readyState === 'live');
		const ctx = new AudioContext({ latencyHint: 'interactive' });
		await ctx.resume();
		await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
		const node = new AudioWorkletNode(ctx, 'onset');
		for (const t of tracks) ctx.createMediaStreamSource(new MediaStream([t])).connect(node);
		const silent = ctx.createGain();
		silent.gain.value = 0;
		node.connect(silent).connect(ctx.destination); // pulled only when it reaches a destination
		window.__onset = { ctx, node };
		return tracks.length;
	}, { code: ONSET_WORKLET, own });
}

function arm(page: Page): Promise<void> {
	return page.evaluate(() => {
		const { ctx, node } = window.__onset!;
		window.__onsetAt = new Promise<number>((resolve) => {
			node.port.onmessage = (e: MessageEvent<number>) => {
				const ts = ctx.getOutputTimestamp();
				resolve(performance.timeOrigin + ts.performanceTime! + (e.data - ts.contextTime!) * 1000);
			};
		});
		node.port.postMessage(true);
	});
}

/** Opens the sender's gate for 120 ms a little ahead; returns when, on the shared clock. */
function burst(page: Page): Promise<number> {
	return page.evaluate(() => {
		const { ctx, gain } = window.__mic!;
		const at = ctx.currentTime + 0.03;
		gain.gain.setValueAtTime(0.5, at);
		gain.gain.setValueAtTime(0, at + 0.12);
		const ts = ctx.getOutputTimestamp();
		if (!ts.performanceTime) throw new Error('getOutputTimestamp() gives no performance time');
		return performance.timeOrigin + ts.performanceTime + (at - ts.contextTime!) * 1000;
	});
}

async function heard(page: Page, timeoutMs: number): Promise<number | undefined> {
	return page.evaluate((ms) => Promise.race([window.__onsetAt!, new Promise<undefined>((r) => setTimeout(r, ms))]), timeoutMs);
}

/** One burst, sender to receiver: ms from the gate opening to the onset, or undefined if lost. */
async function once(sender: Page, receiver: Page, timeoutMs = 2000): Promise<number | undefined> {
	await arm(receiver);
	const sent = await burst(sender);
	const at = await heard(receiver, timeoutMs);
	await receiver.waitForTimeout(400); // the burst's end and the codec's tail pass
	return at === undefined ? undefined : at - sent;
}

/** Until a burst comes through (the receiver may not be subscribed yet). */
async function warmUp(sender: Page, receiver: Page): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		if ((await listen(receiver)) > 0 && (await once(sender, receiver, 1000)) !== undefined) return;
		await receiver.waitForTimeout(300);
	}
	throw new Error('no tone burst arrived within 20 s');
}

export async function mouthToEarRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const bare = await serveBarePage(stack);
	const people: Person[] = [];
	const app: number[] = [];
	const base: number[] = [];
	const loop: number[] = [];
	const runs: { app: number[]; bare: number[] }[] = [];
	const lost = { app: 0, bare: 0 };
	try {
		const [alice, bob] = [await appPerson(browser, stack, 'alice.test', 'gated'), await appPerson(browser, stack, 'bob.test', 'gated')];
		const [from, to] = [await barePerson(browser, bare, 'gated'), await barePerson(browser, bare, 'gated')];
		people.push(alice, bob, from, to);
		await appJoin(alice.page);
		await appJoin(bob.page);
		for (const [i, p] of [from, to].entries()) {
			await bareJoinStart(p, stack, await bare.token(`did:plc:benchm2e${i}`, 'bench-m2e'));
			await bareJoined(p);
		}
		await warmUp(alice.page, bob.page);
		await warmUp(from.page, to.page);
		// The method's own floor: the sender's microphone track detected in its own tab.
		await listen(from.page, true);
		for (let i = 0; i < 3; i++) {
			const t = await once(from.page, from.page);
			if (t !== undefined) loop.push(t);
		}
		for (let i = 0; i < BURSTS; i++) {
			if (i % RUN === 0) runs.push({ app: [], bare: [] });
			const run = runs.at(-1)!;
			const a = await once(alice.page, bob.page);
			if (a === undefined) lost.app++;
			else {
				app.push(a);
				run.app.push(a);
			}
			const b = await once(from.page, to.page);
			if (b === undefined) lost.bare++;
			else {
				base.push(b);
				run.bare.push(b);
			}
		}
	} finally {
		for (const p of people) await p.context.close();
		await bare.close();
	}
	const ratios = runs
		.filter((r) => r.app.length && r.bare.length)
		.map((r) => summarize(r.app).median / summarize(r.bare).median);
	const spread = ratios.length ? summarize(ratios) : undefined;
	return [
		{
			figure: 'mouth-to-ear: tone burst, sender mic to receiver track',
			unit: 'ms',
			value: summarize(app),
			baseline: summarize(base),
			baselineLabel: 'bare livekit-client pages',
			goal: '<= 1.05x bare',
			note: `ratio per run of ${RUN} bursts: ${spread ? `min ${spread.min.toFixed(2)}x, median ${spread.median.toFixed(2)}x, max ${spread.max.toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(', ')})` : '?'}; bare uses the app's capture and publish options; ${app.length} bursts app, ${base.length} bare (lost: ${lost.app} app, ${lost.bare} bare); one clock (timeOrigin + now) across tabs of one machine; "ear" = the received track before any playout; the method's floor (mic track to detector, same tab, no network): ${loop.length ? summarize(loop).median.toFixed(0) : '?'} ms`
		}
	];
}
