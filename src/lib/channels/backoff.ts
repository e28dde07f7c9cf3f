// Delays between attempts to resume something that dropped (the channel stream, a call):
// exponential, capped, with "full jitter" so that every client of a restarted server does
// not come back in the same millisecond.

export interface BackoffOptions {
	/** First delay ceiling (ms). */
	baseMs?: number;
	/** Largest delay ceiling (ms). */
	maxMs?: number;
	/** Source of randomness in [0, 1); injectable for tests. */
	random?: () => number;
}

/** The delay before attempt number `attempt` (0 = first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
	const { baseMs = 500, maxMs = 15_000, random = Math.random } = options;
	const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
	// Never less than half the ceiling: a retry storm of near-zero delays helps nobody.
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
