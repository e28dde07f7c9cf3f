// Runs work the first screen does not need (a lazy chunk to have ready for later) once the
// browser is idle after the first paint, so it never competes with painting, hydrating or
// the first input. Safari before 18 has no requestIdleCallback: a timeout stands in.

/** Calls `work` at the next idle period (at most `timeout` ms from now); returns a cancel. */
export function whenIdle(work: () => void, timeout = 2000, target: Window = window): () => void {
	if (typeof target.requestIdleCallback === 'function') {
		const handle = target.requestIdleCallback(() => work(), { timeout });
		return () => target.cancelIdleCallback(handle);
	}
	const handle = target.setTimeout(work, Math.min(timeout, 500));
	return () => target.clearTimeout(handle);
}
