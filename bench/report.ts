// One table for every figure: what was measured, its median and p95, the baseline measured
// in the same run, the ratio, and the goal it is held against (goals are not assertions).
import fs from 'node:fs';
import path from 'node:path';
import type { Summary } from './stats.ts';

export interface Row {
	figure: string;
	unit: string;
	value: Summary | number;
	baseline?: Summary | number;
	baselineLabel?: string;
	goal?: string;
	note?: string;
}

const fmt = (x: number, unit: string) => (unit === 'ms' ? x.toFixed(x < 10 ? 2 : 0) : unit === 'KiB' || unit === 'MiB' || unit === '%' ? x.toFixed(1) : String(Math.round(x)));
const mid = (v: Summary | number) => (typeof v === 'number' ? v : v.median);

export function renderMarkdown(rows: readonly Row[], header: string): string {
	const lines = [
		header,
		'',
		'| figure | median | p95 | baseline (median) | ratio | goal | note |',
		'|---|---|---|---|---|---|---|'
	];
	for (const r of rows) {
		const v = r.value;
		const median = `${fmt(mid(v), r.unit)} ${r.unit}`;
		const p95 = typeof v === 'number' ? '—' : `${fmt(v.p95, r.unit)} ${r.unit}`;
		const base = r.baseline === undefined ? '—' : `${fmt(mid(r.baseline), r.unit)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`;
		const ratio = r.baseline === undefined ? '—' : `${(mid(v) / mid(r.baseline)).toFixed(2)}x`;
		lines.push(`| ${r.figure} | ${median} | ${p95} | ${base} | ${ratio} | ${r.goal ?? '—'} | ${r.note ?? ''} |`);
	}
	return lines.join('\n');
}

export function writeResults(dir: string, rows: readonly Row[], markdown: string): void {
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
	fs.writeFileSync(path.join(dir, 'latest.md'), `${markdown}\n`);
}
