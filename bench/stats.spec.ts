import { describe, expect, it } from 'vitest';
import { quantile, ratio, summarize } from './stats.ts';

describe('bench statistics', () => {
	it('summarizes samples with interpolated quantiles', () => {
		const s = summarize([5, 1, 4, 2, 3]);
		expect(s).toMatchObject({ n: 5, median: 3, min: 1, max: 5 });
		expect(s.p95).toBeCloseTo(4.8);
		expect(quantile([10, 20], 0.5)).toBe(15);
	});

	it('refuses an empty sample and a zero baseline ratio', () => {
		expect(() => summarize([])).toThrow(/no samples/);
		expect(ratio(10, 0)).toBeNaN();
		expect(ratio(12, 10)).toBeCloseTo(1.2);
	});
});
