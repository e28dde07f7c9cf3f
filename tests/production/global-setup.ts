// Starts the production rehearsal once for its suite (`npm test` runs it last, when the other
// suites' stacks are down): the same start as `npm start -- --production`.
import type { FullConfig } from '@playwright/test';
import { startProductionStack } from '../../scripts/stack/production/index.ts';
import { ensureChromium, ensureFirefox } from '../../scripts/stack/tools.ts';
import { selectedEngines } from '../e2e/browser.ts';

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
	const engines = selectedEngines();
	if (engines.includes('chromium')) await ensureChromium();
	if (engines.includes('firefox')) await ensureFirefox();
	// With Prometheus: metrics.chromium.production.ts queries it (a few seconds of the start).
	const stack = await startProductionStack({ metrics: true });
	return () => stack.stop();
}
