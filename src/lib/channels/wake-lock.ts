// Keeps the screen on during a call. The browser drops a wake lock whenever the page is
// hidden, so it is asked for again each time the page becomes visible.
export function holdWakeLock(): () => void {
	if (typeof navigator === 'undefined' || !('wakeLock' in navigator)) return () => {};
	let sentinel: WakeLockSentinel | undefined;
	let held = true;
	const acquire = () => {
		if (!held || document.visibilityState !== 'visible') return;
		navigator.wakeLock.request('screen').then(
			(s) => (held ? (sentinel = s) : void s.release()),
			() => {} // refused (battery saver, no focus): the call works without it
		);
	};
	document.addEventListener('visibilitychange', acquire);
	acquire();
	return () => {
		held = false;
		document.removeEventListener('visibilitychange', acquire);
		void sentinel?.release().catch(() => {});
	};
}
