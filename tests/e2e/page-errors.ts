// What counts as an app error in an e2e test, kept apart from Playwright so a unit test
// can show that it does catch errors (tests/unit/page-errors.spec.ts). The fixture in
// fixtures.ts feeds it every uncaught exception, unhandled rejection and console error of
// every page of every context a test opens, popups included.
//
// Engines word the same failure differently, and Firefox (over WebDriver BiDi) reports
// network and policy messages as page errors where Chromium logs console errors. A
// declaration names the failure (a request's URL); each engine's wording of exactly that
// failure is recognised here, never a whole class of messages.
import { createHash } from 'node:crypto';

export type PageErrorKind = 'uncaught' | 'unhandled-rejection' | 'console';

export interface PageErrorEntry {
	kind: PageErrorKind;
	/** The page the error happened on (its URL when it was reported). */
	page: string;
	text: string;
	/** For a failed request's console report: the request's URL. */
	source?: string;
}

/** The prefix the init script gives unhandled rejections it reports through console.error. */
export const REJECTION_MARK = '[unhandledrejection]';

/** A failure the test provokes, as one engine reports it. */
export interface ExpectedError {
	kind: PageErrorKind;
	pattern: RegExp;
}

/**
 * Each engine's report of a request to `url` that got no answer (its server is down or
 * unreachable). Chromium: a console error "Failed to load resource: …", whose URL the fixture
 * appends from its location. Firefox: a page error naming the URL, "Cross-Origin Request
 * Blocked: … (Reason: CORS request did not succeed)" — no CORS answer because no answer at
 * all (a request that was answered and refused by CORS says another reason, and still fails).
 * For a JavaScript module (a lazy chunk) that is not there, Firefox says instead that loading
 * it failed, or, when an error page came back, that its MIME type is not JavaScript's.
 */
export function failedRequestReports(url: RegExp): ExpectedError[] {
	return [
		{ kind: 'console', pattern: new RegExp(`^Failed to load resource: .*\\((?:${url.source})\\)$`) },
		{
			kind: 'uncaught',
			pattern: new RegExp(`^Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at (?:${url.source})\\. \\(Reason: CORS request did not succeed\\)`)
		},
		{ kind: 'uncaught', pattern: new RegExp(`^Loading failed for the module with source “(?:${url.source})”\\.`) },
		{ kind: 'uncaught', pattern: new RegExp(`^Loading module from “(?:${url.source})” was blocked because of a disallowed MIME type \\(“[^”]*”\\)\\.`) }
	];
}

/**
 * Each engine's report of a WebSocket to `url` that could not connect. Chromium: a console
 * error "WebSocket connection to 'URL' failed…". Firefox: a page error "Firefox can’t
 * establish a connection to the server at URL.", or, when the socket was cut while the page
 * was still loading, "The connection to URL was interrupted while the page was loading.".
 */
export function failedSocketReports(url: RegExp): ExpectedError[] {
	return [
		{ kind: 'console', pattern: new RegExp(`^WebSocket connection to '(?:${url.source})' failed`) },
		{ kind: 'uncaught', pattern: new RegExp(`^Firefox can’t establish a connection to the server at (?:${url.source})\\.`) },
		{ kind: 'uncaught', pattern: new RegExp(`^The connection to (?:${url.source}) was interrupted while the page was loading\\.`) }
	];
}

/** `text` as a regular expression that matches it literally (a URL, a host, a room name). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Each engine's message of the TypeError a failed `fetch()` rejects with (Chromium, Firefox,
 * WebKit), for declaring a library's log of a fetch that failed because a part is down.
 */
export const FETCH_FAILED = /(?:Failed to fetch|NetworkError when attempting to fetch resource\.|Load failed)/;

/**
 * livekit-client's error-level logs while LiveKit is down or unreachable, for `room` only:
 * each failed attempt to resume the call's signal connection (`RTCEngine.resumeConnection`
 * logs the error's message: a failed fetch, a read of the signal stream that failed,
 * LiveKit's leave request, the WebSocket failing while it opens, or — Firefox — closing
 * during the attempt), and,
 * when the app gives up on a resume that hangs and rejoins, `Room.disconnect()` trying to
 * send "leave" on a signal connection that is not open ("cannot send signal request before
 * connected, type: leave").
 */
export function livekitOutageLogs(room: string): RegExp {
	return new RegExp(
		`^(?:${FETCH_FAILED.source}|error reading from signal stream|Received leave request while trying to \\(re\\)connect|Websocket got closed during a \\(re\\)connection attempt: [^{]*|Encountered websocket error during connection establishment|cannot send signal request before connected, type: leave) \\{room: ${escapeRegExp(room)}[,}]`
	);
}

/**
 * Playwright's own screenshots, not the app: in Firefox (WebDriver BiDi) its screenshotter
 * first appends `<style>body {}</style>` to the page to sync animations (playwright-core,
 * src/server/screenshotter.ts `inPagePrepareForScreenshots`, run because BidiPage's
 * `shouldToggleStyleSheetToSyncAnimations()` is true). The app's strict CSP rightly blocks
 * it and Firefox reports that as a page error. The runner takes such a screenshot of every
 * page of a context it closes (`screenshot: 'only-on-failure'` keeps the failures' ones) and
 * tests take them as artefacts. Only that style's hash is recognised: any other inline style
 * the policy blocks still fails the test.
 */
const PLAYWRIGHT_SCREENSHOT_STYLE = new RegExp(
	`^Content-Security-Policy: The page’s settings blocked an inline style \\(style-src-elem\\) .*'sha256-${createHash('sha256')
		.update('body {}')
		.digest('base64')
		.replace(/[+/]/g, '\\$&')}'`
);

/**
 * Collects errors and sorts out the app's own: only pages of the app's origin count (the
 * PDS's sign-in pages in the popup are not the app), and a test may declare, narrowly,
 * an error it provokes on purpose (a console error of an expected failed request).
 */
export class PageErrorCollector {
	readonly #appOrigin: string;
	#entries: PageErrorEntry[] = [];
	#expected: ExpectedError[] = [];
	#checked = 0;
	/** URLs answered with a DPoP nonce challenge, each one allowing one failed-request report. */
	#nonceChallenges = new Map<string, number>();

	constructor(appOrigin: string) {
		this.#appOrigin = new URL(appOrigin).origin;
	}

	record(kind: PageErrorKind, page: string, text: string, source?: string): void {
		// An init-script report of an unhandled rejection arrives as a console error.
		if (kind === 'console' && text.startsWith(REJECTION_MARK)) {
			kind = 'unhandled-rejection';
			text = text.slice(REJECTION_MARK.length).trim();
		}
		this.#entries.push(source ? { kind, page, text, source } : { kind, page, text });
	}

	/**
	 * An OAuth server or PDS answered `use_dpop_nonce` (RFC 9449): the client retries with
	 * the nonce, as the protocol wants, but the browser still reports the first answer as a
	 * failed request. That one report is not an app error.
	 */
	noteNonceChallenge(url: string): void {
		this.#nonceChallenges.set(url, (this.#nonceChallenges.get(url) ?? 0) + 1);
	}

	/** A test says this error is what it provokes; it stays allowed until `endTest()`. */
	expect(pattern: RegExp, kind: PageErrorKind = 'console'): void {
		this.#expected.push({ kind, pattern });
	}

	/** A test says a request to `url` fails (the part is down): each engine's report of it is allowed. */
	expectFailedRequest(url: RegExp): void {
		this.#expected.push(...failedRequestReports(url));
	}

	/** A test says a WebSocket to `url` fails to connect: each engine's report of it is allowed. */
	expectFailedSocket(url: RegExp): void {
		this.#expected.push(...failedSocketReports(url));
	}

	#isApps(entry: PageErrorEntry): boolean {
		let origin: string;
		try {
			origin = new URL(entry.page).origin;
		} catch {
			return true; // a page with no URL yet (about:blank opened by the app) is the app's
		}
		return origin === this.#appOrigin || entry.page === 'about:blank' || entry.page === '';
	}

	#isExpected(entry: PageErrorEntry): boolean {
		if (entry.kind === 'uncaught' && PLAYWRIGHT_SCREENSHOT_STYLE.test(entry.text)) return true;
		return this.#expected.some((e) => e.kind === entry.kind && e.pattern.test(entry.text));
	}

	#isNonceChallenge(entry: PageErrorEntry, challenges: Map<string, number>): boolean {
		if (entry.kind !== 'console' || !entry.source || !/^Failed to load resource: .*status of 40[01]/.test(entry.text)) return false;
		const left = challenges.get(entry.source) ?? 0;
		if (!left) return false;
		challenges.set(entry.source, left - 1);
		return true;
	}

	/** The app's unexpected errors since the last `endTest()`. */
	unexpected(): PageErrorEntry[] {
		const challenges = new Map(this.#nonceChallenges);
		return this.#entries
			.slice(this.#checked)
			.filter((e) => this.#isApps(e) && !this.#isExpected(e) && !this.#isNonceChallenge(e, challenges));
	}

	/** Closes a test: its errors are judged, its expectations dropped. */
	endTest(): PageErrorEntry[] {
		const found = this.unexpected();
		this.#checked = this.#entries.length;
		this.#expected = [];
		this.#nonceChallenges.clear();
		return found;
	}
}

/**
 * Error texts quote URLs word for word, and a LiveKit URL carries its access token
 * (`/rtc?access_token=…`): a failure report names the URL with every token blanked out.
 */
export function redactTokens(text: string): string {
	return text.replace(/(access_token=)[^&'"\s)]+/g, '$1<redacted>').replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '<redacted JWT>');
}

export function describeErrors(errors: PageErrorEntry[]): string {
	return [
		`${errors.length} uncaught error(s) in the app's pages:`,
		...errors.slice(0, 20).map((e) => `  [${e.kind}] ${e.page}\n    ${redactTokens(e.text).split('\n').slice(0, 6).join('\n    ')}`),
		errors.length > 20 ? `  … and ${errors.length - 20} more` : ''
	].join('\n');
}
