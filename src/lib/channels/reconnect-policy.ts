// How soon a call retries after it lost the SFU. LiveKit's default waits 0.3, 1.2, 2.7,
// 4.8 then 7 s between tries, so an SFU that is back after a second is rejoined only after
// several: people sit in silence meanwhile. Retrying every ~second (with jitter, so a room
// full of clients doesn't hit a recovering server in lockstep) brings voice back within
// about a second of the server, and a minute without success gives up to the app's own
// "lost" handling.
export interface RetryContext {
	readonly retryCount: number;
	readonly elapsedMs: number;
}

const STEPS_MS = [0, 250, 500, 750];
const STEADY_MS = 1000;
const GIVE_UP_AFTER_MS = 60_000;

export function nextRetryDelayMs(context: RetryContext, random: () => number = Math.random): number | null {
	if (context.elapsedMs >= GIVE_UP_AFTER_MS) return null;
	const base = STEPS_MS[context.retryCount] ?? STEADY_MS;
	if (base === 0) return 0;
	return Math.round(base * (0.8 + 0.4 * random()));
}

export const voiceReconnectPolicy = { nextRetryDelayInMs: (context: RetryContext) => nextRetryDelayMs(context) };
