// Audio probes for the voice e2e tests. Installed before the app loads, they make each
// person's microphone a pure tone and let the test read what arrives, from the outside:
// WebRTC stats of every RTCPeerConnection (packets), the FFT of each received track, and a tap on
// everything the page sends to its speakers ("what the person hears").
import type { BrowserContext, Page } from '@playwright/test';

export type MicMode = { tone: number } | 'refused';

declare global {
	interface Window {
		__pcs: RTCPeerConnection[];
		__taps: AnalyserNode[];
		/** armToneArrival's answer: the page time the tone arrived, NaN when it did not. */
		__toneAt?: Promise<number>;
	}
}

export async function installAudioProbes(context: BrowserContext, mic: MicMode): Promise<void> {
	await context.addInitScript((mic: MicMode) => {
		// The sign-in popup starts as about:blank, which has no storage nor media devices.
		if (!location.protocol.startsWith('http')) return;
		const pcs: RTCPeerConnection[] = (window.__pcs = []);
		const Real = window.RTCPeerConnection;
		window.RTCPeerConnection = class extends Real {
			constructor(config?: RTCConfiguration) {
				super(config);
				pcs.push(this);
			}
		} as typeof RTCPeerConnection;

		window.__taps = [];
		const connect = AudioNode.prototype.connect as (this: AudioNode, ...args: unknown[]) => unknown;
		AudioNode.prototype.connect = function (this: AudioNode, ...args: unknown[]) {
			const dest = args[0];
			if (dest instanceof AudioDestinationNode) {
				const ctx = dest.context as BaseAudioContext & { __tap?: AnalyserNode };
				if (!ctx.__tap) {
					ctx.__tap = ctx.createAnalyser();
					ctx.__tap.fftSize = 8192;
					ctx.__tap.smoothingTimeConstant = 0;
					window.__taps.push(ctx.__tap);
				}
				connect.call(this, ctx.__tap);
			}
			return connect.apply(this, args);
		} as typeof AudioNode.prototype.connect;

		// No join/leave blips: an analyser fed only by a finished blip keeps its last
		// spectrum, which would read as sound. (This also exercises the sounds setting.)
		localStorage.setItem('microclimate:voice-prefs', JSON.stringify({ sounds: false }));

		const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
		navigator.mediaDevices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
			if (!constraints?.audio || constraints.video) return real(constraints);
			if (mic === 'refused') throw new DOMException('Permission denied', 'NotAllowedError');
			const ctx = new AudioContext();
			const osc = ctx.createOscillator();
			osc.frequency.value = mic.tone;
			const gain = ctx.createGain();
			gain.gain.value = 0.5;
			const dest = ctx.createMediaStreamDestination();
			osc.connect(gain);
			gain.connect(dest);
			osc.start();
			return dest.stream;
		};
	}, mic);
}

/**
 * The audio energy that arrives over `ms`, measured on the received tracks themselves
 * (sum of RMS² × seconds, the definition of `totalAudioEnergy`).
 *
 * Why not `inbound-rtp` `totalAudioEnergy`: Chromium computes it after WebRTC's output gain,
 * which follows the playing element's volume and mute. The app plays remote audio through
 * Web Audio (per-person gain 0-200 %, iOS-proof), so LiveKit mutes the element, and those
 * stats stay 0 while packets and samples do arrive (seen here: packetsReceived 170,
 * totalSamplesReceived 160 000, totalAudioEnergy 0). The test still checks that the
 * inbound-rtp packet count grows.
 */
export async function energyGrowth(page: Page, ms = 1500): Promise<number> {
	return page.evaluate(async (ms) => {
		const packets = async () => {
			let n = 0;
			for (const pc of window.__pcs.filter((p) => p.connectionState !== 'closed')) {
				(await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
					if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived ?? 0;
				});
			}
			return n;
		};
		const tracks = window.__pcs
			.filter((pc) => pc.connectionState !== 'closed')
			.flatMap((pc) => pc.getReceivers().map((r) => r.track))
			.filter((t) => t.kind === 'audio' && t.readyState === 'live');
		const ctx = new AudioContext();
		await ctx.resume();
		const analysers = tracks.map((t) => {
			const a = ctx.createAnalyser();
			a.fftSize = 2048;
			ctx.createMediaStreamSource(new MediaStream([t])).connect(a);
			return a;
		});
		const before = await packets();
		let energy = 0;
		const samples = new Float32Array(2048);
		const step = 40;
		for (let t = 0; t < ms; t += step) {
			await new Promise((r) => setTimeout(r, step));
			for (const a of analysers) {
				a.getFloatTimeDomainData(samples);
				let sum = 0;
				for (const s of samples) sum += s * s;
				energy += (sum / samples.length) * (step / 1000);
			}
		}
		const arrived = (await packets()) - before;
		await ctx.close();
		// No packets at all means nothing arrives, whatever the analyser saw.
		return arrived > 0 ? energy : 0;
	}, ms);
}

/** The dominant frequency (Hz) of the loudest received audio track, or 0 when silent. */
export function receivedPeak(page: Page): Promise<number> {
	return page.evaluate(async () => {
		const tracks = window.__pcs
			.filter((pc) => pc.connectionState !== 'closed')
			.flatMap((pc) => pc.getReceivers().map((r) => r.track))
			.filter((t) => t.kind === 'audio' && t.readyState === 'live');
		const ctx = new AudioContext();
		await ctx.resume();
		const analysers = tracks.map((t) => {
			const a = ctx.createAnalyser();
			a.fftSize = 8192;
			ctx.createMediaStreamSource(new MediaStream([t])).connect(a);
			return a;
		});
		await new Promise((r) => setTimeout(r, 400));
		let best = { db: -Infinity, hz: 0 };
		for (const a of analysers) {
			const bins = new Float32Array(a.frequencyBinCount);
			a.getFloatFrequencyData(bins);
			bins.forEach((db, i) => {
				if (db > best.db) best = { db, hz: (i * ctx.sampleRate) / a.fftSize };
			});
		}
		await ctx.close();
		return best.db > -80 ? best.hz : 0;
	});
}

/** Loudness (dB) at `hz` of what the page plays to its speakers, the loudest output wins. */
export function heardLevel(page: Page, hz: number): Promise<number> {
	return page.evaluate((hz) => {
		let loudest = -Infinity;
		for (const tap of window.__taps) {
			const bins = new Float32Array(tap.frequencyBinCount);
			tap.getFloatFrequencyData(bins);
			const i = Math.round((hz * tap.fftSize) / tap.context.sampleRate);
			for (const j of [i - 1, i, i + 1]) loudest = Math.max(loudest, bins[j] ?? -Infinity);
		}
		return loudest;
	}, hz);
}

/** One FFT bin of an 8192-point FFT at 48 kHz is ~5.9 Hz; allow two. */
export function nearTone(hz: number, tone: number): boolean {
	return Math.abs(hz - tone) <= 12;
}

/**
 * Starts watching for `tone` on every audio track the page receives (a 2048-point FFT, 43 ms
 * at 48 kHz, looked at every 20 ms; tracks are picked up as they appear, so arm it before the
 * Join click). The tone counts when its bin is the loudest and above -60 dB `looks` looks in a
 * row; `toneArrival` then answers the page time (performance.now()) of the first of them, or
 * NaN after `timeoutMs` without.
 */
export function armToneArrival(page: Page, tone: number, { looks = 3, timeoutMs = 15_000 } = {}): Promise<void> {
	return page.evaluate(
		({ tone, looks, timeoutMs }) => {
			window.__toneAt = new Promise<number>((resolve) => {
				const ctx = new AudioContext();
				const seen = new Set<MediaStreamTrack>();
				const analysers: AnalyserNode[] = [];
				const start = performance.now();
				let first = -1;
				let inRow = 0;
				const done = (at: number) => void ctx.close().then(() => resolve(at));
				const tick = () => {
					for (const pc of window.__pcs)
						for (const r of pc.connectionState === 'closed' ? [] : pc.getReceivers()) {
							const t = r.track;
							if (t.kind !== 'audio' || t.readyState !== 'live' || seen.has(t)) continue;
							seen.add(t);
							const a = ctx.createAnalyser();
							a.fftSize = 2048;
							a.smoothingTimeConstant = 0;
							ctx.createMediaStreamSource(new MediaStream([t])).connect(a);
							analysers.push(a);
						}
					const now = performance.now();
					const found = analysers.some((a) => {
						const bins = new Float32Array(a.frequencyBinCount);
						a.getFloatFrequencyData(bins);
						let best = 0;
						bins.forEach((db, i) => db > bins[best]! && (best = i));
						return bins[best]! > -60 && Math.abs((best * ctx.sampleRate) / a.fftSize - tone) <= ctx.sampleRate / a.fftSize;
					});
					if (found) {
						if (inRow++ === 0) first = now;
						if (inRow >= looks) return done(first);
					} else inRow = 0;
					if (now - start > timeoutMs) return done(Number.NaN);
					setTimeout(tick, 20);
				};
				void ctx.resume().then(tick);
			});
		},
		{ tone, looks, timeoutMs }
	);
}

/** The page time armToneArrival's tone arrived (NaN when it did not). */
export function toneArrival(page: Page): Promise<number> {
	return page.evaluate(() => window.__toneAt!);
}
