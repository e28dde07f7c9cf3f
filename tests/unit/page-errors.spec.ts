// The e2e error watch must be able to fail a test: these check the collector it feeds.
import { describe, it, expect } from 'vitest';
import { PageErrorCollector, REJECTION_MARK, describeErrors, livekitOutageLogs } from '../e2e/page-errors.ts';

const APP = 'http://127.0.0.1:4173';

describe('the e2e page-error collector', () => {
	it('fails a test on an uncaught error of an app page', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('uncaught', `${APP}/`, 'Error: effect_update_depth_exceeded');
		const found = errors.endTest();
		expect(found).toEqual([{ kind: 'uncaught', page: `${APP}/`, text: 'Error: effect_update_depth_exceeded' }]);
		expect(describeErrors(found)).toContain('effect_update_depth_exceeded');
	});

	it('names no token in its report: LiveKit access tokens and JWTs are blanked out', () => {
		const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjOmEifQ.c2lnbmF0dXJl';
		const report = describeErrors([
			{ kind: 'console', page: `${APP}/`, text: `WebSocket connection to 'ws://localhost:7880/rtc?access_token=${jwt}&auto_subscribe=1' failed: ` },
			{ kind: 'uncaught', page: `${APP}/`, text: `Error: Bearer ${jwt} refused` }
		]);
		expect(report).not.toContain(jwt);
		expect(report).not.toContain('eyJ');
		expect(report).toContain("rtc?access_token=<redacted>&auto_subscribe=1' failed");
		expect(report).toContain('Bearer <redacted JWT> refused');
	});

	it('turns the init script’s console report into an unhandled rejection', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('console', `${APP}/connect`, `${REJECTION_MARK} TypeError: boom`);
		expect(errors.endTest()).toEqual([{ kind: 'unhandled-rejection', page: `${APP}/connect`, text: 'TypeError: boom' }]);
	});

	it('counts console errors of the app and pages still on about:blank', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('console', `${APP}/oauth/callback`, 'Failed to load resource');
		errors.record('uncaught', 'about:blank', 'Error: early');
		expect(errors.endTest()).toHaveLength(2);
	});

	it('ignores pages of other origins (the PDS sign-in pages)', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('uncaught', 'http://localhost:2583/oauth/authorize', 'Error: not ours');
		errors.record('console', 'http://localhost:2583/oauth/authorize', 'Failed to load resource');
		expect(errors.endTest()).toEqual([]);
	});

	it('allows only the declared error, of the declared kind, and only for that test', () => {
		const errors = new PageErrorCollector(APP);
		errors.expect(/net::ERR_INTERNET_DISCONNECTED/);
		errors.record('console', `${APP}/`, 'Failed to load resource: net::ERR_INTERNET_DISCONNECTED');
		errors.record('uncaught', `${APP}/`, 'Error: net::ERR_INTERNET_DISCONNECTED');
		errors.record('console', `${APP}/`, 'Something else');
		expect(errors.endTest().map((e) => e.text)).toEqual(['Error: net::ERR_INTERNET_DISCONNECTED', 'Something else']);
		errors.record('console', `${APP}/`, 'Failed to load resource: net::ERR_INTERNET_DISCONNECTED');
		expect(errors.endTest()).toHaveLength(1);
	});

	it('judges each error once: a test is not failed by the one before it', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('uncaught', `${APP}/`, 'Error: first test');
		expect(errors.endTest()).toHaveLength(1);
		expect(errors.endTest()).toEqual([]);
	});
});

describe('DPoP nonce challenges', () => {
	const PAR = 'http://localhost:2583/oauth/par';
	const report = 'Failed to load resource: the server responded with a status of 400 (Bad Request)';

	it('allow exactly one failed-request report per challenge, of that URL', () => {
		const errors = new PageErrorCollector(APP);
		errors.noteNonceChallenge(PAR);
		errors.record('console', `${APP}/connect`, report, PAR);
		errors.record('console', `${APP}/connect`, report, PAR);
		errors.record('console', `${APP}/connect`, report, 'http://localhost:8080/x');
		expect(errors.endTest().map((e) => e.source)).toEqual([PAR, 'http://localhost:8080/x']);
	});

	it('end with their test', () => {
		const errors = new PageErrorCollector(APP);
		errors.noteNonceChallenge(PAR);
		errors.endTest();
		errors.record('console', `${APP}/connect`, report, PAR);
		expect(errors.endTest()).toHaveLength(1);
	});
});

describe('each engine’s wording of a declared failure', () => {
	const PDS = 'http://localhost:2583';
	const firefoxCors = (url: string, reason = 'CORS request did not succeed') =>
		`Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ${url}. (Reason: ${reason}). Status code: (null).`;

	it('allows a declared failed request in Chromium’s and in Firefox’s words, and nothing else', () => {
		const errors = new PageErrorCollector(APP);
		errors.expectFailedRequest(/http:\/\/localhost:2583\/.*/);
		errors.record('console', `${APP}/`, `Failed to load resource: net::ERR_CONNECTION_REFUSED (${PDS}/xrpc/x)`, `${PDS}/xrpc/x`);
		errors.record('uncaught', `${APP}/`, firefoxCors(`${PDS}/xrpc/x`));
		// Undeclared: another part's failed request, and a CORS refusal by a server that answered.
		errors.record('uncaught', `${APP}/`, firefoxCors('http://localhost:8080/api'));
		errors.record('uncaught', `${APP}/`, firefoxCors(`${PDS}/xrpc/x`, 'CORS header ‘Access-Control-Allow-Origin’ missing'));
		expect(errors.endTest().map((e) => e.text)).toEqual([firefoxCors('http://localhost:8080/api'), firefoxCors(`${PDS}/xrpc/x`, 'CORS header ‘Access-Control-Allow-Origin’ missing')]);
	});

	it('allows a declared missing module chunk in Firefox’s words', () => {
		const chunk = `${APP}/_app/immutable/chunks/DElrR9gV.js`;
		const errors = new PageErrorCollector(APP);
		errors.expectFailedRequest(/http:\/\/[^)]*\/DElrR9gV\.js/);
		errors.record('uncaught', `${APP}/`, `Loading module from “${chunk}” was blocked because of a disallowed MIME type (“”).`);
		errors.record('uncaught', `${APP}/`, `Loading failed for the module with source “${chunk}”.`);
		errors.record('uncaught', `${APP}/`, `Loading failed for the module with source “${APP}/_app/immutable/chunks/Other.js”.`);
		expect(errors.endTest()).toHaveLength(1);
	});

	it('allows a declared failed WebSocket in Chromium’s and in Firefox’s words', () => {
		const errors = new PageErrorCollector(APP);
		errors.expectFailedSocket(/ws:\/\/localhost:7880\/rtc\b.*/);
		errors.record('console', `${APP}/`, "WebSocket connection to 'ws://localhost:7880/rtc?access_token=x' failed: ");
		errors.record('uncaught', `${APP}/`, 'Firefox can’t establish a connection to the server at ws://localhost:7880/rtc?access_token=x.');
		errors.record('uncaught', `${APP}/`, 'Firefox can’t establish a connection to the server at ws://localhost:9999/other.');
		expect(errors.endTest().map((e) => e.text)).toEqual(['Firefox can’t establish a connection to the server at ws://localhost:9999/other.']);
	});

	it('allows livekit-client’s logs of an outage in each engine’s words, for the named room only', () => {
		const errors = new PageErrorCollector(APP);
		errors.expect(livekitOutageLogs('lobby'));
		const log = (message: string, room = 'lobby') => `${message} {room: ${room}, roomID: RM_x, participant: did:plc:a, participantID: PA_x, error: Error}`;
		errors.record('console', `${APP}/`, log('Failed to fetch'));
		errors.record('console', `${APP}/`, log('NetworkError when attempting to fetch resource.'));
		errors.record('console', `${APP}/`, log('Websocket got closed during a (re)connection attempt: '));
		errors.record('console', `${APP}/`, log('Encountered websocket error during connection establishment'));
		errors.record('console', `${APP}/`, log('error reading from signal stream'));
		errors.record('console', `${APP}/`, log('cannot send signal request before connected, type: leave'));
		errors.record('console', `${APP}/`, log('cannot send signal request before connected, type: offer'));
		errors.record('console', `${APP}/`, log('Failed to fetch', 'lobby-2'));
		errors.record('console', `${APP}/`, log('could not establish signal connection'));
		expect(errors.endTest().map((e) => e.text)).toEqual([log('cannot send signal request before connected, type: offer'), log('Failed to fetch', 'lobby-2'), log('could not establish signal connection')]);
	});

	it('recognises only Playwright’s own screenshot style among Firefox’s blocked inline styles', () => {
		const blocked = (hash: string) =>
			`Content-Security-Policy: The page’s settings blocked an inline style (style-src-elem) from being applied because it violates the following directive: “style-src 'self'”. Consider using a hash ('sha256-${hash}', requires 'unsafe-hashes' for style attributes) or a nonce.`;
		const errors = new PageErrorCollector(APP);
		// sha256 of `body {}`, the style Playwright's screenshotter appends over WebDriver BiDi.
		errors.record('uncaught', `${APP}/`, blocked('YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA='));
		errors.record('uncaught', `${APP}/`, blocked('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='));
		expect(errors.endTest().map((e) => e.text)).toEqual([blocked('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')]);
	});
});
