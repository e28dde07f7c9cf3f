// The e2e error watch must be able to fail a test: these check the collector it feeds.
import { describe, it, expect } from 'vitest';
import { PageErrorCollector, REJECTION_MARK, describeErrors } from '../e2e/page-errors.ts';

const APP = 'http://127.0.0.1:4173';

describe('the e2e page-error collector', () => {
	it('fails a test on an uncaught error of an app page', () => {
		const errors = new PageErrorCollector(APP);
		errors.record('uncaught', `${APP}/`, 'Error: effect_update_depth_exceeded');
		const found = errors.endTest();
		expect(found).toEqual([{ kind: 'uncaught', page: `${APP}/`, text: 'Error: effect_update_depth_exceeded' }]);
		expect(describeErrors(found)).toContain('effect_update_depth_exceeded');
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
