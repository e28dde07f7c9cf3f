// Faults in the running stack, through the orchestrator's control socket: stop, kill and
// start the API server, Envoy, LiveKit or the PDS listener. The stack keeps tracking the
// restarted processes, so its stop leaves nothing behind.
import net from 'node:net';
import { sendControl } from '../../scripts/stack/control.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

async function answers(url: string): Promise<boolean> {
	try {
		await fetch(url, { signal: AbortSignal.timeout(500) });
		return true;
	} catch {
		return false;
	}
}

/** Kills the stack's LiveKit server at once, like a crash, and checks it is gone. */
export async function stopLiveKit(stack: StackInfo): Promise<void> {
	await sendControl('livekit/stop');
	if (await answers(stack.livekit.httpUrl)) throw new Error('LiveKit still answers after the stack stopped it');
}

/** Starts LiveKit again; resolves once it answers its health check. */
export async function startLiveKit(): Promise<void> {
	await sendControl('livekit/start');
}

export type Part = 'api' | 'envoy' | 'pds';

const PORT = { api: 'API', envoy: 'ENVOY', pds: 'PDS' } as const;

/** Whether anything accepts TCP connections on the part's port (the API server speaks only h2c). */
function accepts(stack: StackInfo, part: Part): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port: stack.ports[PORT[part]] });
		socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
		socket.once('connect', () => (socket.destroy(), resolve(true)));
		socket.once('error', () => resolve(false));
	});
}

/** Takes `part` down (`kill`: SIGKILL, like a crash) and checks its port no longer answers. */
export async function stopPart(stack: StackInfo, part: Part, how: 'stop' | 'kill' = 'stop'): Promise<void> {
	await sendControl(`${part}/${how}`);
	if (await accepts(stack, part)) throw new Error(`${part} still answers after the stack stopped it`);
}

/** Starts `part` again; resolves once it passes the stack's health check. */
export async function startPart(part: Part): Promise<void> {
	await sendControl(`${part}/start`);
}

/** Brings `part` back if a failed test left it down; a part already running is fine. */
export async function ensurePartUp(part: Part): Promise<void> {
	await sendControl(`${part}/start`).catch((err: unknown) => {
		if (!(err instanceof Error && /already running/.test(err.message))) throw err;
	});
}
