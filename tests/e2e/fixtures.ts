// Fixtures shared by the e2e tests: the stack that global set-up started, read from the
// file the orchestrator writes, and the app's URL as Playwright's baseURL.
import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stackFile = join(import.meta.dirname, '..', '..', '.stack', 'stack.json');

export const test = base.extend<{ stack: StackInfo }>({
	stack: async ({}, use) => {
		await use(JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo);
	},
	baseURL: async ({ stack }, use) => {
		await use(stack.app);
	}
});

export { expect };
