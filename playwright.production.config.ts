import { defineConfig } from '@playwright/test';
import main from './playwright.config.ts';

// The production rehearsal's suite (tests/production): `npm start -- --production`, started
// once by its own global set-up (names under microclimate.lan behind one front door on 443,
// a local CA, a discoverable OAuth client, no dev mode anywhere). `npm test` runs it after the
// scale suite (scripts/test.sh); alone:
// `sh scripts/env.sh playwright test -c playwright.production.config.ts`.
// The browsers get the rehearsal's name mapping and certificate trust from the stack itself
// (tests/production/fixtures.ts): the certificate is made fresh at every start.
const chromium = main.projects?.find((p) => p.name === 'chromium');
const firefox = main.projects?.find((p) => p.name === 'firefox');
if (!chromium || !firefox) throw new Error('playwright.config.ts has no chromium or firefox project');

export default defineConfig({
	...main,
	testDir: 'tests/production',
	testMatch: '**/*.production.ts',
	globalSetup: './tests/production/global-setup.ts',
	timeout: 90_000,
	expect: { timeout: 15_000 },
	reporter: [['list']],
	outputDir: 'test-results/production',
	projects: [
		{ ...chromium, testIgnore: ['**/*.firefox.production.ts'] },
		{ ...firefox, testIgnore: ['**/*.chromium.production.ts'] }
	]
});
