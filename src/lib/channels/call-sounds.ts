// Short join/leave blips, synthesised with Web Audio (no files to fetch or cache).
let ctx: AudioContext | undefined;

function blip(from: number, to: number): void {
	if (typeof AudioContext === 'undefined') return;
	ctx ??= new AudioContext();
	if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
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

export const callSounds = {
	joined: () => blip(520, 780),
	left: () => blip(780, 420)
};
