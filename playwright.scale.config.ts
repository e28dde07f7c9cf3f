import { defineConfig } from '@playwright/test';
import main from './playwright.config.ts';

// The scale suite (tests/scale): the replicated stack (`npm start -- --replicas 2`: Redis,
// 2 API replicas, 2 LiveKit nodes, Envoy over both), started once by its own global set-up.
// `npm test` runs it after the main suite (scripts/test.sh); alone:
// `sh scripts/env.sh playwright test -c playwright.scale.config.ts`.
// Everything not about the scale stack comes from the main config (one worker, no retries,
// traces on failure, the Chromium project). Chromium only: what it proves is about the
// servers, not the engine.
const chromium = main.projects?.find((p) => p.name === 'chromium');
if (!chromium) throw new Error('playwright.config.ts has no chromium project');

export default defineConfig({
	...main,
	testDir: 'tests/scale',
	testMatch: '**/*.scale.ts',
	globalSetup: './tests/scale/global-setup.ts',
	// Three PDS sign-ins and five faults on twice the parts of the main suite's stack, on the
	// same shared cores: more time per test and per expectation than the main suite's.
	timeout: 90_000,
	expect: { timeout: 20_000 },
	// The main suite's HTML report and per-engine times stay its own.
	reporter: [['list']],
	outputDir: 'test-results/scale',
	projects: [chromium]
});
