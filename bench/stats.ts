// Summaries of timing samples. Every figure is printed beside a baseline measured in the
// same run, as a ratio: the machines are shared and noisy, absolute numbers drift.

export interface Summary {
	n: number;
	median: number;
	p95: number;
	p99: number;
	min: number;
	max: number;
}

export function summarize(samples: readonly number[]): Summary {
	if (samples.length === 0) throw new Error('no samples');
	const sorted = [...samples].sort((a, b) => a - b);
	return {
		n: sorted.length,
		median: quantile(sorted, 0.5),
		p95: quantile(sorted, 0.95),
		p99: quantile(sorted, 0.99),
		min: sorted[0]!,
		max: sorted.at(-1)!
	};
}

/** Linear interpolation between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
	const pos = (sorted.length - 1) * q;
	const lo = Math.floor(pos);
	const hi = Math.ceil(pos);
	return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function ratio(value: number, baseline: number): number {
	return baseline > 0 ? value / baseline : Number.NaN;
}
