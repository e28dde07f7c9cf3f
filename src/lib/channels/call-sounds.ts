// Short join/leave blips, synthesised with Web Audio (no files to fetch or cache) on the
// call's own AudioContext: a context of their own would start outside any tap, suspended in
// Safari, and stay open after the call.
import type { CallAudio } from './call-audio.js';

export interface CallSounds {
	joined(): void;
	left(): void;
}

export function callSounds(audio: CallAudio): CallSounds {
	function blip(from: number, to: number): void {
		const ctx = audio.context;
		// Not running (sound not allowed yet): a queued blip would play late, when it means nothing.
		if (ctx?.state !== 'running') return;
		const t = ctx.currentTime;
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.type = 'sine';
		osc.frequency.setValueAtTime(from, t);
		osc.frequency.exponentialRampToValueAtTime(to, t + 0.12);
		gain.gain.setValueAtTime(0.0001, t);
		gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
		gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
		osc.connect(gain).connect(ctx.destination);
		osc.start(t);
		osc.stop(t + 0.18);
	}
	return {
		joined: () => blip(520, 780),
		left: () => blip(780, 420)
	};
}
