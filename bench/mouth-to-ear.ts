// Mouth-to-ear: a 1 kHz tone burst through the SFU, from one tab's microphone to another
// tab's received track, in the app (alice and bob in Lobby), between two bare
// livekit-client pages (room bench-m2e: the baseline) and between two more bare pages
// (room bench-m2e-control: the control, bare against bare), bursts of the three interleaved.
// Sender: the gated microphone opens at an AudioContext time; receiver: an AudioWorklet on
// the received tracks reports the context time of the first sample above 0.1. Both context
// times become performance.timeOrigin + performance.now() through getOutputTimestamp(); the
// tabs share this machine's clock, and both mappings include the same output latency
// (same browser, same device), which cancels in the difference. "Ear" is the received
// track after the jitter buffer and decoder, the same point on both paths.
// Each run is its own call (every pair leaves and joins again): a call's audio plumbing
// (the jitter buffer, the FIFOs between WebRTC's 10 ms chunks and each AudioContext's
// render quanta) settles once per call, so bursts of one call share an offset that the
// next call does not. The control shows how far two identical pairs differ per call.
// E2EE beside without: after each call in Lobby (end-to-end encrypted), the app pair joins
// the channel the bench lists as not encrypted (run.ts) for as many bursts, the bare pairs
// still bursting between them; the ratio is per call pair, Lobby's median over the plain one's.
import type { Browser, Page } from '@playwright/test';
import type { StackInfo } from '../scripts/stack/index.ts';
import { serveBarePage } from './bare/serve.ts';
import type { Row } from './report.ts';
import { summarize } from './stats.ts';
import { appJoin, appLeave, appPerson, bareJoinStart, bareJoined, bareLeave, barePerson, type Person } from './voice-people.ts';
import { jitterBuffer } from './voice-probes.ts';

/** Separate calls: every path joins afresh for each, so each gets its own jitter buffer. */
const RUNS = Number(process.env.BENCH_M2E_RUNS ?? 6);
/** Bursts per path in each call; the ratio is reported per call (min / median / max). */
const RUN = 4;

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

type PathName = 'app' | 'bare' | 'control';
interface Path {
	from: Person;
	to: Person;
	/** Bursts of each call, ms. */
	calls: number[][];
	/** The receiver's mean jitter-buffer delay in each call, ms. */
	jitter: (number | undefined)[];
	lost: number;
}

const med = (xs: number[]) => summarize(xs).median;
const fixed = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(0));

export async function mouthToEarRows(stack: StackInfo, browser: Browser): Promise<Row[]> {
	const bare = await serveBarePage(stack);
	const people: Person[] = [];
	const loop: number[] = [];
	const paths = {} as Record<PathName, Path>;
	/** The app pair in the channel without E2EE: bursts of each call, ms. */
	const plainCalls: number[][] = [];
	const plainJitter: (number | undefined)[] = [];
	let plainLost = 0;
	const path = (from: Person, to: Person): Path => {
		people.push(from, to);
		return { from, to, calls: [], jitter: [], lost: 0 };
	};
	try {
		paths.app = path(await appPerson(browser, stack, 'alice.test', 'gated'), await appPerson(browser, stack, 'bob.test', 'gated'));
		paths.bare = path(await barePerson(browser, bare, 'gated'), await barePerson(browser, bare, 'gated'));
		paths.control = path(await barePerson(browser, bare, 'gated'), await barePerson(browser, bare, 'gated'));
		const bareRooms = { bare: 'bench-m2e', control: 'bench-m2e-control' } as const;
		for (let r = 0; r < RUNS; r++) {
			await appJoin(paths.app.from.page);
			await appJoin(paths.app.to.page);
			for (const name of ['bare', 'control'] as const) {
				for (const [i, p] of [paths[name].from, paths[name].to].entries()) {
					await bareJoinStart(p, stack, await bare.token(`did:plc:benchm2e${name}${i}`, bareRooms[name]));
					await bareJoined(p);
				}
			}
			for (const p of Object.values(paths)) {
				await warmUp(p.from.page, p.to.page);
				p.calls.push([]);
			}
			if (r === 0) {
				// The method's own floor: the sender's microphone track detected in its own tab.
				const own = paths.bare.from.page;
				await listen(own, true);
				for (let i = 0; i < 3; i++) {
					const t = await once(own, own);
					if (t !== undefined) loop.push(t);
				}
			}
			for (let i = 0; i < RUN; i++) {
				for (const p of Object.values(paths)) {
					const t = await once(p.from.page, p.to.page);
					if (t === undefined) p.lost++;
					else p.calls.at(-1)!.push(t);
				}
			}
			for (const p of Object.values(paths)) p.jitter.push(await jitterBuffer(p.to.page));
			await appLeave(paths.app.to.page);
			await appLeave(paths.app.from.page);
			// The same two, the same app, in the channel without E2EE, its bursts interleaved
			// with the bare pairs' as in Lobby (the same load on the machine).
			await appJoin(paths.app.from.page, 'plain');
			await appJoin(paths.app.to.page, 'plain');
			await warmUp(paths.app.from.page, paths.app.to.page);
			plainCalls.push([]);
			for (let i = 0; i < RUN; i++) {
				const t = await once(paths.app.from.page, paths.app.to.page);
				if (t === undefined) plainLost++;
				else plainCalls.at(-1)!.push(t);
				for (const p of [paths.bare, paths.control]) await once(p.from.page, p.to.page);
			}
			plainJitter.push(await jitterBuffer(paths.app.to.page));
			await appLeave(paths.app.to.page);
			await appLeave(paths.app.from.page);
			for (const p of [paths.bare, paths.control]) for (const person of [p.from, p.to]) await bareLeave(person);
		}
	} finally {
		for (const p of people) await p.context.close();
		await bare.close();
	}
	const all = (p: Path) => p.calls.flat();
	/** Per call, this path's median over the bare pair's, where both heard something. */
	const ratios = (p: Path) =>
		p.calls.flatMap((c, i) => (c.length && paths.bare.calls[i]?.length ? [med(c) / med(paths.bare.calls[i]!)] : []));
	const spread = (p: Path) => {
		const rs = ratios(p);
		if (!rs.length) return '?';
		const s = summarize(rs);
		return `min ${s.min.toFixed(2)}x, median ${s.median.toFixed(2)}x, max ${s.max.toFixed(2)}x (${rs.map((x) => x.toFixed(2)).join(', ')})`;
	};
	const { app, bare: base, control } = paths;
	const e2eeRatios = app.calls.flatMap((c, i) => (c.length && plainCalls[i]?.length ? [med(c) / med(plainCalls[i]!)] : []));
	return [
		{
			figure: 'mouth-to-ear with E2EE vs without: the app in Lobby vs the app in a plain channel',
			unit: 'ms',
			value: summarize(all(app)),
			baseline: summarize(plainCalls.flat()),
			baselineLabel: 'the same app and pair, channel without E2EE',
			goal: '<= 1.1x without',
			note: `${RUNS} calls of each, ${RUN} bursts in each; ratio per call pair, E2EE / without: ${e2eeRatios.map((x) => x.toFixed(2)).join(', ') || '?'}; bursts heard: E2EE ${all(app).length}, without ${plainCalls.flat().length} (lost: ${app.lost}, ${plainLost}); receiver's mean jitter-buffer delay per call, E2EE ${app.jitter.map(fixed).join('/')}, without ${plainJitter.map(fixed).join('/')} ms`
		},
		{
			figure: 'mouth-to-ear: tone burst, sender mic to receiver track',
			unit: 'ms',
			value: summarize(all(app)),
			baseline: summarize(all(base)),
			baselineLabel: 'bare livekit-client pages',
			goal: '<= 1.05x bare',
			note: `${RUNS} calls (every pair leaves and joins again), ${RUN} bursts per pair in each, interleaved; ratio per call, app / bare: ${spread(app)}; the control, a second bare pair in its own room / bare: ${spread(control)}; control median ${all(control).length ? med(all(control)).toFixed(0) : '?'} ms; receivers' mean jitter-buffer delay per call, app ${app.jitter.map(fixed).join('/')}, bare ${base.jitter.map(fixed).join('/')}, control ${control.jitter.map(fixed).join('/')} ms; bare and control use the app's capture and publish options; bursts heard: app ${all(app).length}, bare ${all(base).length}, control ${all(control).length} (lost: ${app.lost}, ${base.lost}, ${control.lost}); one clock (timeOrigin + now) across tabs of one machine; "ear" = the received track before any playout; the method's floor (mic track to detector, same tab, no network): ${loop.length ? med(loop).toFixed(0) : '?'} ms`
		}
	];
}
