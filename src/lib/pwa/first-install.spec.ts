import { describe, it, expect } from 'vitest';
import { FirstInstallGate, isWebKit } from './first-install.js';

const settled = async (p: Promise<void>) => {
	let done = false;
	void p.then(() => (done = true));
	await new Promise((r) => setTimeout(r, 0));
	return done;
};

describe('FirstInstallGate', () => {
	it('in WebKit stays shut on the sign-in screens and opens on the first signed-in screen', async () => {
		const gate = new FirstInstallGate(true);
		gate.screenShown('/connect');
		gate.screenShown('/oauth/callback');
		gate.screenShown('/connect/');
		expect(gate.open).toBe(false);
		expect(await settled(gate.opened)).toBe(false);
		gate.screenShown('/');
		expect(gate.open).toBe(true);
		expect(await settled(gate.opened)).toBe(true);
		gate.screenShown('/connect'); // signed out later: an open gate stays open
		expect(gate.open).toBe(true);
	});

	it('elsewhere is open from the start', async () => {
		const gate = new FirstInstallGate(false);
		gate.screenShown('/connect');
		expect(gate.open).toBe(true);
		expect(await settled(gate.opened)).toBe(true);
	});

	it('tells WebKit (Safari, iOS browsers, WebKitGTK) by its vendor', () => {
		expect(isWebKit({ vendor: 'Apple Computer, Inc.' })).toBe(true);
		expect(isWebKit({ vendor: 'Google Inc.' })).toBe(false);
		expect(isWebKit({ vendor: '' })).toBe(false);
		expect(isWebKit(undefined)).toBe(false);
	});
});
