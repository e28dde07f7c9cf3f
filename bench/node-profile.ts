// A CPU profile of a running Node process of the stack (the API server), taken through its
// inspector: SIGUSR1 makes Node open the inspector on 127.0.0.1:<port> (9229 unless the
// process was started with another), then V8's profiler is started and stopped over CDP.
// Used by the crowd bench to say what a fan-out spends the API server's CPU on.
import type { CpuProfile } from './trace-summary.ts';
import { selfTimeBy, selfTimeByModule } from './trace-summary.ts';

interface Cdp {
	send<T = unknown>(method: string, params?: object): Promise<T>;
	/** Sends a command that ends the connection, and waits (at most 5 s) until it is closed. */
	closeAfter(method: string, params?: object): Promise<void>;
}

async function connect(url: string): Promise<Cdp> {
	const ws = new WebSocket(url);
	const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
	let next = 0;
	ws.addEventListener('message', (event) => {
		const m = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
		const p = m.id === undefined ? undefined : pending.get(m.id);
		if (!p) return;
		pending.delete(m.id!);
		if (m.error) p.reject(new Error(m.error.message));
		else p.resolve(m.result);
	});
	await new Promise<void>((resolve, reject) => {
		ws.addEventListener('open', () => resolve(), { once: true });
		ws.addEventListener('error', () => reject(new Error(`cannot open the inspector at ${url}`)), { once: true });
	});
	return {
		send: <T>(method: string, params: object = {}) =>
			new Promise<T>((resolve, reject) => {
				const id = ++next;
				pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
				ws.send(JSON.stringify({ id, method, params }));
			}),
		closeAfter: (method: string, params: object = {}) =>
			new Promise<void>((resolve) => {
				const timer = setTimeout(() => (ws.close(), resolve()), 5000);
				ws.addEventListener('close', () => (clearTimeout(timer), resolve()), { once: true });
				ws.send(JSON.stringify({ id: ++next, method, params }));
			})
	};
}

/** Opens process `pid`'s inspector (SIGUSR1) and connects to it; `done()` closes both. */
async function inspect(pid: string | number, port: number): Promise<Cdp & { done(): Promise<void> }> {
	process.kill(Number(pid), 'SIGUSR1');
	let targets: { webSocketDebuggerUrl: string }[] | undefined;
	for (let i = 0; i < 50 && !targets?.length; i++) {
		targets = await fetch(`http://127.0.0.1:${port}/json/list`)
			.then((r) => r.json() as Promise<{ webSocketDebuggerUrl: string }[]>)
			.catch(() => undefined);
		if (!targets?.length) await new Promise((r) => setTimeout(r, 100));
	}
	if (!targets?.length) throw new Error(`process ${pid} opened no inspector on 127.0.0.1:${port} after SIGUSR1`);
	const cdp = await connect(targets[0]!.webSocketDebuggerUrl);
	return {
		...cdp,
		async done() {
			// Closes the inspector, so the port is free for the next process (another replica).
			// The process closes the connection while it evaluates this, so no answer ever comes:
			// wait for the close instead.
			await cdp.closeAfter('Runtime.evaluate', { expression: 'process._debugEnd?.()' });
		}
	};
}

/** Starts profiling process `pid`; `stop()` returns the profile and closes the process's inspector. */
export async function profileProcess(pid: string | number, port = 9229, samplingUs = 200): Promise<{ stop(): Promise<CpuProfile> }> {
	const cdp = await inspect(pid, port);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: samplingUs });
	await cdp.send('Profiler.start');
	return {
		async stop() {
			const { profile } = await cdp.send<{ profile: CpuProfile }>('Profiler.stop');
			await cdp.done();
			return profile;
		}
	};
}

/** process.memoryUsage() of process `pid` right after a full garbage collection: what it holds, not what it has not collected yet. */
export async function memoryAfterGc(pid: string | number, port = 9229): Promise<NodeJS.MemoryUsage> {
	const cdp = await inspect(pid, port);
	try {
		await cdp.send('HeapProfiler.collectGarbage');
		const { result } = await cdp.send<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' });
		return JSON.parse(result.value) as NodeJS.MemoryUsage;
	} finally {
		await cdp.done();
	}
}

/** Where a script's code comes from: its npm package, a Node built-in, or the project's own file. */
export function nodeModuleLabel(url: string): string {
	const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
	if (pkg) return pkg;
	if (url.startsWith('node:')) return url.replace(/^node:internal\/(?:[^/]+\/)*/, 'node:');
	return url.replace(/^file:\/\/.*?\/(server|src)\//, '$1/');
}

/** Self time by package and the top functions by self time, as one line for a bench note. */
export function profileSummary(profile: CpuProfile, top = 8): string {
	const functions = selfTimeBy(profile, (f) => `${f.functionName || '(anonymous)'} (${f.url ? nodeModuleLabel(f.url) : 'native'})`);
	const total = functions.reduce((s, [, ms]) => s + ms, 0);
	const shares = (rows: [string, number][]) =>
		rows
			.slice(0, top)
			.map(([name, ms]) => `${name} ${((ms / total) * 100).toFixed(0)} %`)
			.join(', ');
	return `${total.toFixed(0)} ms on CPU; by package: ${shares(selfTimeByModule(profile, nodeModuleLabel))}; top functions: ${shares(functions)}`;
}
