// What counts as an app error in an e2e test, kept apart from Playwright so a unit test
// can show that it does catch errors (tests/unit/page-errors.spec.ts). The fixture in
// fixtures.ts feeds it every uncaught exception, unhandled rejection and console error of
// every page of every context a test opens, popups included.

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

/**
 * Collects errors and sorts out the app's own: only pages of the app's origin count (the
 * PDS's sign-in pages in the popup are not the app), and a test may declare, narrowly,
 * an error it provokes on purpose (a console error of an expected failed request).
 */
export class PageErrorCollector {
	readonly #appOrigin: string;
	#entries: PageErrorEntry[] = [];
	#expected: { kind: PageErrorKind; pattern: RegExp }[] = [];
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

export function describeErrors(errors: PageErrorEntry[]): string {
	return [
		`${errors.length} uncaught error(s) in the app's pages:`,
		...errors.slice(0, 20).map((e) => `  [${e.kind}] ${e.page}\n    ${e.text.split('\n').slice(0, 6).join('\n    ')}`),
		errors.length > 20 ? `  … and ${errors.length - 20} more` : ''
	].join('\n');
}
