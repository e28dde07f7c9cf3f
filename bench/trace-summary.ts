// Summarises a Chromium trace (browser.startTracing with the timeline and V8 sampling
// categories) per renderer process: busy main-thread time, long tasks (> 50 ms) with what
// they ran, timeline work by kind, and the functions with the most self time.
export interface TraceEvent {
	name: string;
	ph: string;
	pid: number;
	tid: number;
	ts: number;
	dur?: number;
	id?: string;
	args?: { name?: string; data?: Record<string, unknown> & { url?: string; functionName?: string } };
}

interface CpuNode {
	id: number;
	parent?: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
const short = (url: string) => url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '') || '(inline)';

/** The renderer main threads of the trace, with the URLs their processes loaded. */
function mainThreads(events: TraceEvent[]): Map<number, { tid: number; urls: Set<string> }> {
	const byPid = new Map<number, { tid: number; urls: Set<string> }>();
	for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') byPid.set(e.pid, { tid: e.tid, urls: new Set() });
	for (const e of events) {
		const url = e.args?.data?.url;
		if (typeof url === 'string' && /^https?:/.test(url) && e.name !== 'ResourceSendRequest') byPid.get(e.pid)?.urls.add(new URL(url).origin + new URL(url).pathname);
	}
	return byPid;
}

/** Self time per function from the V8 sampling profiler's chunks, for one process. */
function selfTimes(events: TraceEvent[], pid: number): Map<string, number> {
	const nodes = new Map<string, CpuNode>();
	const self = new Map<string, number>();
	for (const e of events) {
		if (e.pid !== pid || e.name !== 'ProfileChunk') continue;
		const cpu = e.args?.data?.cpuProfile as { nodes?: CpuNode[]; samples?: number[] } | undefined;
		const deltas = (e.args?.data?.timeDeltas as number[] | undefined) ?? [];
		for (const n of cpu?.nodes ?? []) nodes.set(`${e.id}:${n.id}`, n);
		(cpu?.samples ?? []).forEach((sample, i) => {
			const n = nodes.get(`${e.id}:${sample}`);
			if (!n) return;
			const f = n.callFrame;
			const key = f.url ? `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}` : f.functionName;
			self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0));
		});
	}
	return self;
}

export function summarizeTrace(events: TraceEvent[], appOrigin: string, top = 15): string {
	const out: string[] = [];
	for (const [pid, { tid, urls }] of mainThreads(events)) {
		const tasks = events.filter((e) => e.pid === pid && e.tid === tid && e.name === 'RunTask' && e.ph === 'X' && e.dur);
		if (!tasks.length) continue;
		const busy = tasks.reduce((s, e) => s + e.dur!, 0);
		const app = [...urls].some((u) => u.startsWith(new URL(appOrigin).origin));
		out.push(`-- renderer ${pid}${app ? ' (app)' : ''}: ${[...urls].slice(0, 4).map(short).join(', ')}; main thread busy ${ms(busy)} in ${tasks.length} tasks`);
		// What each long task ran: the timeline events directly inside it, biggest first.
		const inner = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.dur && e.name !== 'RunTask');
		for (const t of tasks.filter((e) => e.dur! > 50_000).sort((a, b) => b.dur! - a.dur!).slice(0, 6)) {
			const within = inner
				.filter((e) => e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur!)
				.sort((a, b) => b.dur! - a.dur!)
				.slice(0, 3)
				.map((e) => `${e.name}${e.args?.data?.url ? ` ${short(String(e.args.data.url))}` : ''}${e.args?.data?.functionName ? ` ${e.args.data.functionName}` : ''} ${ms(e.dur!)}`);
			out.push(`   long task ${ms(t.dur!)}: ${within.join('; ')}`);
		}
		const kinds = new Map<string, number>();
		for (const e of inner) if (['EvaluateScript', 'v8.compile', 'v8.compileModule', 'v8.evaluateModule', 'FunctionCall', 'Layout', 'UpdateLayoutTree', 'Paint', 'ParseHTML', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'ParseAuthorStyleSheet', 'TimerFire', 'EventDispatch', 'V8.CompileCode', 'v8.parseOnBackground'].includes(e.name)) kinds.set(e.name, (kinds.get(e.name) ?? 0) + e.dur!);
		out.push(`   by kind (nested, so overlapping): ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
		const self = [...selfTimes(events, pid)].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
		if (self.length) out.push(`   top self time: ${self.map(([k, v]) => `${k} ${ms(v)}`).join(' | ')}`);
	}
	return out.join('\n');
}

/**
 * Every request of the traced window in start order, ms from the first request to `fromUrl`
 * (the callback page), with its renderer: the wall clock's critical path is in the gaps.
 */
export function requestWaterfall(events: TraceEvent[], fromUrl: string): string {
	const sent = new Map<string, { url: string; pid: number; ts: number; method: string }>();
	const done = new Map<string, number>();
	for (const e of events) {
		const d = e.args?.data as { requestId?: string; url?: string; requestMethod?: string; finishTime?: number } | undefined;
		if (!d?.requestId) continue;
		if (e.name === 'ResourceSendRequest' && d.url) sent.set(d.requestId, { url: d.url, pid: e.pid, ts: e.ts, method: d.requestMethod ?? 'GET' });
		if (e.name === 'ResourceFinish') done.set(d.requestId, e.ts);
	}
	const rows = [...sent].sort((a, b) => a[1].ts - b[1].ts);
	const t0 = rows.find(([, r]) => r.url.startsWith(fromUrl))?.[1].ts ?? rows[0]?.[1].ts ?? 0;
	const paint = events.filter((e) => e.name === 'TimerFire' || e.name === 'FireAnimationFrame').length; // keeps the trace honest about polling
	return [
		`   requests from the callback (ms: start +duration, renderer): ${paint} timer/animation-frame callbacks in the window`,
		...rows
			.filter(([, r]) => r.ts >= t0)
			.map(([id, r]) => {
				const end = done.get(id);
				return `   +${((r.ts - t0) / 1000).toFixed(0).padStart(5)} ${end ? `+${((end - r.ts) / 1000).toFixed(0)}` : '?'} ${r.method} ${short(r.url).slice(0, 90)} (${r.pid})`;
			})
	].join('\n');
}

/** A CPU profile as CDP's Profiler.stop returns it. */
export interface CpuProfile {
	nodes: CpuNode[];
	startTime: number;
	endTime: number;
	samples?: number[];
	timeDeltas?: number[];
}

/**
 * Self time per script (module) of a CPU profile: every sample is charged to the URL of the
 * function it was in, so a module's figure is what its own code cost (evaluation, its
 * functions, its event handlers), not what it called in other modules. Samples outside any
 * script are charged to V8's own buckets ("(program)", "(garbage collector)"); idle is left out.
 * `label` names a URL (e.g. a chunk by the module it holds); samples after `untilUs` (the
 * profile's clock) are left out. Returns [name, ms], biggest first.
 */
export function selfTimeByModule(profile: CpuProfile, label: (url: string) => string = short, untilUs = Infinity): [string, number][] {
	return selfTimeBy(profile, (f) => (f.url ? label(f.url) : f.functionName || '(native)'), untilUs);
}

/** Self time of a CPU profile grouped by `key` of each sample's frame (idle left out); [name, ms], biggest first. */
export function selfTimeBy(profile: CpuProfile, key: (frame: CpuNode['callFrame']) => string, untilUs = Infinity): [string, number][] {
	const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
	const byKey = new Map<string, number>();
	let at = profile.startTime;
	(profile.samples ?? []).forEach((sample, i) => {
		at += profile.timeDeltas?.[i] ?? 0;
		if (at > untilUs) return;
		const f = nodes.get(sample)?.callFrame;
		if (!f || f.functionName === '(idle)') return;
		const k = key(f);
		byKey.set(k, (byKey.get(k) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000);
	});
	return [...byKey].sort((a, b) => b[1] - a[1]);
}
