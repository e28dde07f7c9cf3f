// In-page probes for the voice benchmarks, the same for the app and the bare livekit-client
// page so that both are timed alike. Built on the e2e audio probes (tests/e2e/voice-audio.ts:
// window.__pcs keeps every RTCPeerConnection, the microphone is a tone); this adds:
// - milestones: the click, each fetch, the LiveKit signalling WebSocket, each peer
//   connection's state, stamped with performance.now() so a slow join shows which step it is;
// - a gated microphone (a 1 kHz oscillator behind a gain of 0) that a benchmark bursts open;
// - first-packet and burst-onset detectors on what arrives.
// Times that cross tabs use performance.timeOrigin + performance.now(): every tab runs on
// this one machine, so that clock is shared (to the resolution Chromium gives, ~0.1 ms).
import type { BrowserContext, Page } from '@playwright/test';

declare global {
	interface Window {
		__marks: { what: string; t: number }[];
		__mic?: { ctx: AudioContext; gain: GainNode; track: MediaStreamTrack };
		__firstPacket?: Promise<number>;
		/** The bare page's API (bench/bare/page.ts) and its join in progress. */
		bare: { join(url: string, token: string): Promise<void>; leave(): Promise<void> };
		__joined?: Promise<void>;
	}
}

/** Stamps the steps of a join into window.__marks. Add after installAudioProbes. */
export async function installMilestones(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const marks: { what: string; t: number }[] = (window.__marks = []);
		const mark = (what: string) => marks.push({ what, t: performance.now() });
		document.addEventListener('click', (e) => marks.push({ what: 'click', t: e.timeStamp }), true);
		const realFetch = window.fetch;
		window.fetch = async (...args: Parameters<typeof fetch>) => {
			const name = new URL(args[0] instanceof Request ? args[0].url : String(args[0]), location.href).pathname.split('/').pop();
			mark(`fetch ${name} start`);
			try {
				return await realFetch(...args);
			} finally {
				mark(`fetch ${name} headers`);
			}
		};
		const RealWs = window.WebSocket;
		window.WebSocket = class extends RealWs {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(url, protocols);
				mark('ws created');
				this.addEventListener('open', () => mark('ws open'));
				this.addEventListener('message', () => mark('ws first message'), { once: true });
			}
		} as typeof WebSocket;
		const RealPc = window.RTCPeerConnection;
		window.RTCPeerConnection = class extends RealPc {
			constructor(config?: RTCConfiguration) {
				super(config);
				mark('pc created');
				this.addEventListener('connectionstatechange', () => mark(`pc ${this.connectionState}`));
			}
		} as typeof RTCPeerConnection;
	});
}

/** Replaces the microphone with a 1 kHz tone behind a closed gate (add after installAudioProbes). */
export async function installGatedMic(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
		navigator.mediaDevices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
			if (!constraints?.audio || constraints.video) return real(constraints);
			const ctx = new AudioContext({ latencyHint: 'interactive' });
			const osc = ctx.createOscillator();
			osc.frequency.value = 1000;
			const gain = ctx.createGain();
			gain.gain.value = 0;
			const dest = ctx.createMediaStreamDestination();
			osc.connect(gain).connect(dest);
			osc.start();
			window.__mic = { ctx, gain, track: dest.stream.getAudioTracks()[0]! };
			return dest.stream;
		};
	});
}

/** Starts watching for the first inbound audio packet on any open peer connection. */
export function armFirstPacket(page: Page): Promise<void> {
	return page.evaluate(() => {
		window.__marks.length = 0;
		window.__firstPacket = new Promise<number>((resolve) => {
			const tick = async () => {
				for (const pc of window.__pcs.filter((p) => p.connectionState !== 'closed')) {
					let packets = 0;
					(await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
						if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
					});
					if (packets > 0) return resolve(performance.now());
				}
				setTimeout(tick, 4);
			};
			void tick();
		});
	});
}

/** When the first packet arrived and the steps before it, in ms after the mark named `from`. */
export async function firstPacketAfter(page: Page, from: string, timeoutMs = 20_000): Promise<{ ms: number; steps: Record<string, number> }> {
	return page.evaluate(
		async ({ from, timeoutMs }) => {
			const at = await Promise.race([window.__firstPacket!, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no inbound audio packet')), timeoutMs))]);
			const t0 = window.__marks.find((m) => m.what === from)?.t;
			if (t0 === undefined) throw new Error(`no "${from}" mark`);
			const steps: Record<string, number> = {};
			for (const m of window.__marks) if (m.t >= t0 && m.t <= at && !(m.what in steps)) steps[m.what] = m.t - t0;
			return { ms: at - t0, steps };
		},
		{ from, timeoutMs }
	);
}

/** The mean jitter-buffer delay of a page's received audio over its call (ms per emitted sample). */
export function jitterBuffer(page: Page): Promise<number | undefined> {
	return page.evaluate(async () => {
		let [delay, emitted] = [0, 0];
		for (const pc of window.__pcs.filter((p) => p.connectionState === 'connected')) {
			(await pc.getStats()).forEach((s: { type: string; kind?: string; jitterBufferDelay?: number; jitterBufferEmittedCount?: number }) => {
				if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
				delay += s.jitterBufferDelay ?? 0;
				emitted += s.jitterBufferEmittedCount ?? 0;
			});
		}
		return emitted ? (delay / emitted) * 1000 : undefined;
	});
}
