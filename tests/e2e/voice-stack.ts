// Stops and starts the running stack's LiveKit server, through the orchestrator's control
// socket: the stack keeps tracking the restarted process, so its stop leaves nothing behind.
import { sendControl } from '../../scripts/stack/control.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

async function answers(url: string): Promise<boolean> {
	try {
		return (await fetch(url, { signal: AbortSignal.timeout(500) })).ok;
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
