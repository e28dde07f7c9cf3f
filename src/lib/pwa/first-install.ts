// When this device's first install of the service worker may start. Written by the root
// layout (the screen shown); read by AppUpdate.start(), which holds the registration on a
// first visit (no registration on this device yet) until the gate opens. A device that
// already has a registration is never held: its updates go on as before.
//
// Why (issue 28, item 6): in WebKit, a sign-in through the popup wrecks a worker that exists
// before it. Measured in WebKitGTK 2.50 (tests/webkit/pwa.webkit.ts's host): an install under
// way when she signs in stays "installing" for good (seen for 100 s and more), and
// unregister() and register() queue behind it and never resolve (15 s limits, both ran out),
// so no fresh registration can replace it; a worker installed before the sign-in is left
// active with its precache emptied (48 entries, then 0). A first install that starts after
// the sign-in completes (about 0.5 s here) and keeps its precache, and so does one that starts
// while the popup is already open. In WebKit the first install therefore waits for a signed-in
// screen: the sign-in screen is not kept offline on a first visit there (signing in needs the
// network anyway), and the popup never meets a worker of the app. Chromium and Firefox do not
// wreck it: they install at once, as before.

/** The screens a person sees before she is signed in: the sign-in form and the OAuth callback. */
const SIGN_IN_SCREENS = ['/connect', '/oauth/callback'];

export class FirstInstallGate {
	#open = false;
	#opened: Promise<void>;
	#resolve!: () => void;
	#holdsOnSignIn: boolean;

	/** `holdsOnSignIn`: this engine wrecks a worker that exists while she signs in (WebKit). */
	constructor(holdsOnSignIn: boolean) {
		this.#holdsOnSignIn = holdsOnSignIn;
		this.#opened = new Promise((resolve) => (this.#resolve = resolve));
		if (!holdsOnSignIn) this.#openNow();
	}

	/** Resolves once the first install may start. */
	get opened(): Promise<void> {
		return this.#opened;
	}

	get open(): boolean {
		return this.#open;
	}

	/** The root layout reports each screen it shows. */
	screenShown(pathname: string): void {
		if (this.#open || !this.#holdsOnSignIn) return;
		if (!SIGN_IN_SCREENS.includes(pathname.replace(/\/$/, '') || '/')) this.#openNow();
	}

	#openNow(): void {
		this.#open = true;
		this.#resolve();
	}
}

/**
 * WebKit: Safari, every browser on iOS, and WebKitGTK. Their `navigator.vendor` is Apple's
 * (Chromium's is Google's, Firefox's is empty). An engine trait, not a feature the page can
 * probe: the damage only shows once a sign-in has happened.
 */
export function isWebKit(nav: Pick<Navigator, 'vendor'> | undefined = typeof navigator === 'undefined' ? undefined : navigator): boolean {
	return nav?.vendor === 'Apple Computer, Inc.';
}

export const firstInstall = new FirstInstallGate(isWebKit());
