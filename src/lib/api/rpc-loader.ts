// Loads the transport's chunk (rpc.ts: connect-web, protobuf-es, the generated code) once,
// off the first screen's critical path. A failed load (offline, a chunk gone after a deploy)
// is forgotten, so the next call tries again.
export type Rpc = typeof import('./rpc.js');

let loading: Promise<Rpc> | undefined;
let loaded: Rpc | undefined;

export function loadRpc(): Promise<Rpc> {
	loading ??= import('./rpc.js').then(
		(rpc) => (loaded = rpc),
		(err: unknown) => {
			loading = undefined;
			throw err;
		}
	);
	return loading;
}

/** The transport's module if it has loaded already: a call made inside a tap goes out before any await. */
export function loadedRpc(): Rpc | undefined {
	return loaded;
}

/**
 * Loads it once the first frame has been painted (the next frame, then a task): the screen
 * shows what it has (the last known list, the sign-in form) before the transport evaluates.
 * A hidden tab gets no frames: there a short timer stands in.
 */
export function loadRpcAfterPaint(): Promise<Rpc> {
	if (typeof requestAnimationFrame !== 'function') return loadRpc();
	return new Promise<void>((resolve) => {
		const fallback = setTimeout(resolve, 100);
		requestAnimationFrame(() => {
			clearTimeout(fallback);
			setTimeout(resolve, 0);
		});
	}).then(loadRpc);
}
