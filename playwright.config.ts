import { defineConfig } from '@playwright/test';
import { chromiumPath, chromiumArgs, firefoxPath, firefoxPrefs } from './tests/e2e/browser.ts';

// End-to-end tests run the built app against the real local stack, which global set-up
// starts (and installs where missing) through the same orchestrator as `npm start`.
//
// Every e2e file can run twice: in Chromium and in Firefox (Debian's firefox-esr, driven over
// WebDriver BiDi). @playwright/test is pinned to exactly 1.64.1 (and playwright-core with it)
// because 1.65.1 cannot drive Firefox ESR 153: its newContext sends
// `emulation.setMediaFeaturesOverride`, which ESR 153 answers with "unknown command".
// Move the pin only together with a Firefox ESR that knows the commands of the new version.
//
// WebKit (Debian's WebKitGTK) can't be driven by Playwright: the third project runs the
// WebKit suite in tests/webkit, which drives MiniBrowser through WebKitWebDriver (see
// tests/webkit/webkit.ts), in this same runner so that all engines share one stack.
//
// One engine alone: `npm test -- --project=firefox`, or MICROCLIMATE_BROWSERS=chromium,webkit
// (see README "Browsers").
export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.e2e.ts',
	globalSetup: './tests/e2e/global-setup.ts',
	// One stack, shared accounts: run files one after another on a 2-core machine.
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	retries: 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }], ['./tests/e2e/project-times.ts']],
	outputDir: 'test-results',
	use: {
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: { browserName: 'chromium', launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } }
		},
		{
			name: 'firefox',
			// *.chromium.e2e.ts ask Chromium itself over CDP (Lighthouse, its installability
			// verdict); what Firefox checks instead is named at the top of each such file.
			// *.both.e2e.ts launch Chromium and Firefox themselves: once is enough.
			testIgnore: ['**/*.chromium.e2e.ts', '**/*.both.e2e.ts'],
			// Firefox over WebDriver BiDi takes 1.5-2x Chromium's time for the same steps (a popup
			// sign-in most of all), more on a busy 2-core machine: the same checks get more time,
			// and a test's own test.setTimeout() is scaled too (tests/e2e/fixtures.ts). How fast
			// things are is measured in bench/, never by these limits.
			timeout: 90_000,
			metadata: { timeoutScale: 1.5 },
			expect: { timeout: 20_000 },
			use: {
				// No screenshots in the failure traces: over BiDi Playwright films every page by
				// asking for a screenshot every 40 ms the whole test long (no screencast there),
				// which costs Firefox CPU in every test. DOM snapshots of each step stay.
				trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true, sources: true },
				browserName: 'firefox',
				// Playwright's own Firefox build cannot be downloaded here: `moz-firefox` is the
				// stock Firefox driven over WebDriver BiDi.
				channel: 'moz-firefox',
				launchOptions: { executablePath: firefoxPath(), firefoxUserPrefs: firefoxPrefs }
			}
		},
		{
			name: 'webkit',
			testDir: 'tests/webkit',
			testMatch: '**/*.webkit.ts',
			// A signed-in WebKit test opens a fresh MiniBrowser (software-rendered under Xvfb)
			// and signs in through the PDS pages first: minutes on a loaded 2-core machine.
			timeout: 180_000
		}
	]
});
