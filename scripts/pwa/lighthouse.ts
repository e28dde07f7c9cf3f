// Lighthouse (the npm package) against the machine's Chromium, with mobile emulation (its
// default config): performance, accessibility and best-practices scores of one page.
// Chromium is started by chrome-launcher; a caller may drive the same browser over CDP
// first (to sign in), then audit with the storage kept (keepStorage).
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

export const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run'
];

export interface Scores {
	url: string;
	performance: number;
	accessibility: number;
	bestPractices: number;
}

export function launchChromium(chromePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'): Promise<chromeLauncher.LaunchedChrome> {
	return chromeLauncher.launch({ chromePath, chromeFlags: CHROMIUM_FLAGS });
}

export async function audit(url: string, port: number, options: { keepStorage?: boolean } = {}): Promise<Scores> {
	const result = await lighthouse(url, {
		port,
		output: 'json',
		logLevel: 'error',
		onlyCategories: ['performance', 'accessibility', 'best-practices'],
		disableStorageReset: options.keepStorage ?? false
	});
	if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
	const { categories, runtimeError } = result.lhr;
	if (runtimeError) throw new Error(`Lighthouse failed on ${url}: ${runtimeError.code} ${runtimeError.message}`);
	const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
	return { url, performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices') };
}

export function describeScores(label: string, s: Scores): string {
	return `Lighthouse mobile, ${label} (${s.url}): performance ${s.performance}, accessibility ${s.accessibility}, best practices ${s.bestPractices}`;
}
