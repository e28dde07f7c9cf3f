// Starts the whole local stack once for the e2e run (installing any missing tool first)
// and stops it afterwards. A part that can't start fails the run with its name and log:
// no test skips because something is missing. The same stack serves every engine's
// project (Chromium, Firefox, and the WebKit suite in tests/webkit).
import fs from 'node:fs';
import type { FullConfig } from '@playwright/test';
import { APP_VERSIONS_DIR } from './app-versions.ts';
import { startStack } from '../../scripts/stack/index.ts';
import { ensureFirefox, ensureWebKit } from '../../scripts/stack/tools.ts';
import { selectedEngines } from './browser.ts';

/**
 * Session JWTs this short make every e2e run exercise silent renewal, many times over, and
 * keep the tests that wait for an expiry short (the server allows 5 s and up in dev).
 */
export const E2E_SESSION_TTL_SECONDS = 10;

/**
 * People per channel on the e2e stack: two (alice and bob, the demo accounts) fill one, so
 * crowd.e2e.ts proves the full channel with a third account. No other test seats more than two.
 */
export const E2E_MAX_PER_CHANNEL = 2;

/** Lobby alone holds more (its own max in MICROCLIMATE_CHANNELS): crowd.e2e.ts seats 12 there. */
export const E2E_LOBBY_MAX = 16;

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
	process.env.MICROCLIMATE_SESSION_TTL_SECONDS = String(E2E_SESSION_TTL_SECONDS);
	process.env.MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL = String(E2E_MAX_PER_CHANNEL);
	process.env.MICROCLIMATE_CHANNELS = JSON.stringify([
		{ id: 'lobby', name: 'Lobby', max: E2E_LOBBY_MAX },
		{ id: 'music', name: 'Music' },
		{ id: 'quiet-room', name: 'Quiet room' },
		// Declared not end-to-end encrypted: e2ee.e2e.ts joins it (the dock says so).
		{ id: 'open-mic', name: 'Open mic', e2ee: false }
	]);
	const engines = selectedEngines();
	// Fail before the stack starts when a browser is missing and can't be installed.
	// The Chromium project also runs the Chromium <-> Firefox call (cross-engine.both.e2e.ts).
	if (engines.includes('firefox') || engines.includes('chromium')) await ensureFirefox();
	if (engines.includes('webkit')) await ensureWebKit();
	const stack = await startStack({ build: true, chromium: true });
	// Versions a previous run deployed are older code: this run builds its own (app-versions.ts).
	fs.rmSync(APP_VERSIONS_DIR, { recursive: true, force: true });
	return () => stack.stop();
}
