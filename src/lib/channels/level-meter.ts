// A live level (0..1) of a microphone track, from an AnalyserNode: the local speaking ring
// and the settings meter use it because it reacts within one animation frame, where the
// server's active-speaker updates lag by several hundred milliseconds.
//
// The caller brings the AudioContext, opened inside a tap (Safari keeps any other one
// suspended, and a suspended analyser reads silence): the call's (call-audio.ts) for the
// speaking ring, the microphone test's own for the settings meter.

/** Calls `onLevel` about every 50 ms with the RMS level of `track`; returns the stop. */
export function meterLevel(ctx: AudioContext, track: MediaStreamTrack, onLevel: (level: number) => void, everyMs = 50): () => void {
	const source = ctx.createMediaStreamSource(new MediaStream([track]));
	const analyser = ctx.createAnalyser();
	analyser.fftSize = 512;
	source.connect(analyser);
	const samples = new Float32Array(analyser.fftSize);
	const timer = setInterval(() => {
		analyser.getFloatTimeDomainData(samples);
		let sum = 0;
		for (const s of samples) sum += s * s;
		// RMS of speech sits around 0.02-0.2; stretch it so a normal voice fills the meter.
		onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
	}, everyMs);
	return () => {
		clearInterval(timer);
		source.disconnect();
		analyser.disconnect();
	};
}

/** Speaking or not, from levels, with a short hold so the ring does not flicker between words. */
export function speakingGate(threshold = 0.06, holdMs = 300, now = () => Date.now()): (level: number) => boolean {
	let lastLoud = -Infinity;
	return (level) => {
		if (level >= threshold) lastLoud = now();
		return now() - lastLoud < holdMs;
	};
}
