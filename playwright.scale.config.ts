import { defineConfig } from '@playwright/test';
import { chromiumPath, chromiumArgs } from './tests/e2e/browser.ts';

// The scale suite (tests/scale): the replicated stack (`npm start -- --replicas 2`: Redis,
// 2 API replicas, 2 LiveKit nodes, Envoy over both), started once by its own global set-up.
// `npm test` runs it after the main suite (scripts/test.sh); alone:
// `sh scripts/env.sh playwright test -c playwright.scale.config.ts`.
// Chromium only: what it proves is about the servers, not the engine.
export default defineConfig({
	testDir: 'tests/scale',
	testMatch: '**/*.scale.ts',
	globalSetup: './tests/scale/global-setup.ts',
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	retries: 0,
	timeout: 90_000,
	// Twice the parts of the main suite's stack on the same shared cores: sign-in takes longer.
	expect: { timeout: 20_000 },
	reporter: [['list']],
	outputDir: 'test-results/scale',
	use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
	projects: [{ name: 'chromium', use: { browserName: 'chromium', launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } } }]
});
