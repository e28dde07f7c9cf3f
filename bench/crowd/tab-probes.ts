// In-page probes for the tab-in-a-crowd bench (tab.ts), installed before the app loads:
// - how many <audio> elements, AudioContexts and Web Audio nodes the page creates (every
//   create*() of an audio context and every node constructor is counted);
// - long tasks (> 50 ms) from the Long Tasks API;
// - one interaction at a time timed from its input event (the event's own timeStamp) to the
//   next frame: a requestAnimationFrame after the handlers, then one message task, which runs
//   once that frame is drawn. A scroll waits for the first `scroll` event before its frame.
import type { BrowserContext, Page } from '@playwright/test';

export interface TabCounts {
	audioElements: number;
	audioContexts: number;
	audioNodes: number;
	longTasks: { start: number; duration: number }[];
}

declare global {
	interface Window {
		__tab: TabCounts;
		__arm(type: string, settle?: string): Promise<number>;
		__pendingInteraction?: Promise<number>;
	}
}

export async function installTabProbes(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		if (!location.protocol.startsWith('http')) return;
		const counts: TabCounts = (window.__tab = { audioElements: 0, audioContexts: 0, audioNodes: 0, longTasks: [] });
		const createElement = Document.prototype.createElement as (this: Document, ...args: unknown[]) => HTMLElement;
		Document.prototype.createElement = function (this: Document, ...args: unknown[]) {
			if (String(args[0]).toLowerCase() === 'audio') counts.audioElements++;
			return createElement.apply(this, args);
		} as typeof Document.prototype.createElement;
		const counted = <T extends object>(ctor: T, bump: () => void): T =>
			new Proxy(ctor, { construct: (target, args, newTarget) => (bump(), Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget)) });
		const w = window as unknown as Record<string, object>;
		w.Audio = counted(w.Audio!, () => counts.audioElements++);
		w.AudioContext = counted(w.AudioContext!, () => counts.audioContexts++);
		for (const name of Object.getOwnPropertyNames(window)) if (name.endsWith('Node') && (w[name] as { prototype?: unknown })?.prototype instanceof AudioNode) w[name] = counted(w[name]!, () => counts.audioNodes++);
		const proto = BaseAudioContext.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
		for (const name of Object.getOwnPropertyNames(BaseAudioContext.prototype)) {
			if (!name.startsWith('create') || name === 'createBuffer' || name === 'createPeriodicWave') continue;
			const real = proto[name]!;
			proto[name] = function (this: BaseAudioContext, ...args: unknown[]) {
				counts.audioNodes++;
				return real.apply(this, args);
			};
		}
		// MediaStreamDestination and MediaElementSource live on AudioContext itself.
		const ac = AudioContext.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
		for (const name of Object.getOwnPropertyNames(AudioContext.prototype)) {
			if (!name.startsWith('create')) continue;
			const real = ac[name]!;
			ac[name] = function (this: AudioContext, ...args: unknown[]) {
				counts.audioNodes++;
				return real.apply(this, args);
			};
		}
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) counts.longTasks.push({ start: e.startTime, duration: e.duration });
		}).observe({ type: 'longtask', buffered: true });

		window.__arm = (type, settle) =>
			new Promise<number>((resolve) => {
				const on = (e: Event) => {
					window.removeEventListener(type, on, true);
					const t0 = e.timeStamp;
					const frame = () =>
						requestAnimationFrame(() => {
							const channel = new MessageChannel();
							channel.port1.onmessage = () => resolve(performance.now() - t0);
							channel.port2.postMessage(0);
						});
					if (settle) window.addEventListener(settle, frame, { once: true, capture: true, passive: true });
					else frame();
				};
				window.addEventListener(type, on, { capture: true, passive: true });
			});
	});
}

/** Times one interaction: arms the page for `type` (then `settle`), runs `act`, returns ms to the next frame. */
export async function timeInteraction(page: Page, type: string, act: () => Promise<void>, settle?: string): Promise<number> {
	await page.evaluate(([t, s]) => void (window.__pendingInteraction = window.__arm(t!, s)), [type, settle]);
	await act();
	return page.evaluate(() => Promise.race([window.__pendingInteraction!, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no frame after the interaction within 10 s')), 10_000))]));
}

export const tabCounts = (page: Page) => page.evaluate(() => ({ ...window.__tab, longTasks: [...window.__tab.longTasks] }));

/** Summed over the page's open peer connections: inbound audio samples, concealed ones, packets. */
export function inboundAudio(page: Page): Promise<{ concealed: number; samples: number; packets: number }> {
	return page.evaluate(async () => {
		const out = { concealed: 0, samples: 0, packets: 0 };
		for (const pc of window.__pcs.filter((p) => p.connectionState !== 'closed')) {
			(await pc.getStats()).forEach((s: { type: string; kind?: string; concealedSamples?: number; totalSamplesReceived?: number; packetsReceived?: number }) => {
				if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
				out.concealed += s.concealedSamples ?? 0;
				out.samples += s.totalSamplesReceived ?? 0;
				out.packets += s.packetsReceived ?? 0;
			});
		}
		return out;
	});
}

/**
 * For one join: stamps each change of the dock's call status ("status Connecting…", "status
 * Connected") into the milestones (voice-probes.ts), until "Connected"; armed after
 * armFirstPacket (which clears them) and before the click. Not left on during the measured
 * windows: an observer of the whole page would run on every speaking tick.
 */
export function watchJoinStatus(page: Page): Promise<void> {
	return page.evaluate(() => {
		let last = '';
		const observer = new MutationObserver(() => {
			const text = document.querySelector('[data-testid="call-status"]')?.textContent?.trim() ?? '';
			if (text === last) return;
			last = text;
			window.__marks.push({ what: `status ${text}`, t: performance.now() });
			if (text === 'Connected') observer.disconnect();
		});
		observer.observe(document.body, { subtree: true, childList: true, characterData: true });
	});
}

/** Every milestone of the join from `from` on (ms after it), and the long tasks in that span. */
export function joinTimeline(page: Page, from: string): Promise<{ steps: string[]; longTasks: number; longTaskMs: number }> {
	return page.evaluate((from) => {
		const t0 = window.__marks.find((m) => m.what === from)?.t ?? 0;
		const end = window.__marks.findLast((m) => m.what === 'status Connected')?.t ?? performance.now();
		const tasks = window.__tab.longTasks.filter((t) => t.start >= t0 && t.start <= end);
		return {
			// Each step once (its first time), except the peer connections' states and the status.
			steps: window.__marks
				.filter((m, i, all) => m.t >= t0 && (/^(pc|status) /.test(m.what) || all.findIndex((n) => n.what === m.what) === i))
				.map((m) => `${m.what} +${(m.t - t0).toFixed(0)}`),
			longTasks: tasks.length,
			longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0)
		};
	}, from);
}
