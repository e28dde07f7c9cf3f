// The LiveKit process of the running stack, for the test that stops and restarts it.
// scripts/stack has no hook for this (yet), so the test finds the LiveKit server the
// stack started, by its parent (the stack's own process) and its --config argument, stops
// that one process group by id, and starts the same command again. The restarted server's
// process group id is written to .stack/livekit-restarted.pid; global teardown stops it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { StackInfo } from '../../scripts/stack/index.ts';

export const RESTARTED_PID_FILE = path.join(import.meta.dirname, '..', '..', '.stack', 'livekit-restarted.pid');

interface Proc {
	pid: number;
	args: string[];
	cwd: string;
}

function liveKitProcess(stack: StackInfo): Proc {
	const restarted = fs.existsSync(RESTARTED_PID_FILE) ? Number(fs.readFileSync(RESTARTED_PID_FILE, 'utf8')) : undefined;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const pid = Number(entry);
		try {
			const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
			const config = args[args.indexOf('--config') + 1] ?? '';
			const ours = ppid === stack.pid || pid === restarted;
			if (ours && args.includes('--config') && config.includes('livekit')) return { pid, args, cwd: fs.readlinkSync(`/proc/${pid}/cwd`) };
		} catch {
			// a process that ended while we looked
		}
	}
	throw new Error(`No LiveKit server started by the stack (pid ${stack.pid}) was found`);
}

async function answers(url: string): Promise<boolean> {
	try {
		return (await fetch(url, { signal: AbortSignal.timeout(500) })).ok;
	} catch {
		return false;
	}
}

/** Kills the stack's LiveKit server (its process group, by id) and waits until it is gone. */
export async function stopLiveKit(stack: StackInfo): Promise<Proc> {
	const proc = liveKitProcess(stack);
	process.kill(-proc.pid, 'SIGKILL');
	while (await answers(stack.livekit.httpUrl)) await new Promise((r) => setTimeout(r, 50));
	return proc;
}

/** Starts the same LiveKit command again and waits until it answers. */
export async function startLiveKit(stack: StackInfo, proc: Proc): Promise<void> {
	const log = fs.openSync(path.join(stack.logsDir, 'livekit-restarted.log'), 'w');
	const child = spawn(proc.args[0]!, proc.args.slice(1), { cwd: proc.cwd, detached: true, stdio: ['ignore', log, log] });
	fs.closeSync(log);
	child.unref();
	fs.writeFileSync(RESTARTED_PID_FILE, String(child.pid));
	const deadline = Date.now() + 20_000;
	while (!(await answers(stack.livekit.httpUrl))) {
		if (Date.now() > deadline) throw new Error('The restarted LiveKit server did not answer within 20 s');
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Global teardown: stops a LiveKit server a test restarted (the stack only knows the first). */
export function stopRestartedLiveKit(): void {
	if (!fs.existsSync(RESTARTED_PID_FILE)) return;
	const pid = Number(fs.readFileSync(RESTARTED_PID_FILE, 'utf8'));
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// already gone
	}
	fs.rmSync(RESTARTED_PID_FILE, { force: true });
}
