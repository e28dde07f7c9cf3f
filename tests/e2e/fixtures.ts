// Fixtures shared by the e2e tests: the stack that global set-up started, read from the
// file the orchestrator writes, and the app's URL as Playwright's baseURL.
import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from '../../scripts/stack/index.ts';

const stackFile = join(import.meta.dirname, '..', '..', '.stack', 'stack.json');

/**
 * What a test uses to declare an error it provokes on purpose. Placeholder with the same
 * shape as the error watch helper h2 is adding to this file (merge: take theirs): the
 * session e2e tests already declare the failed requests they provoke through it.
 */
export interface PageErrors {
	expect(pattern: RegExp, kind?: 'uncaught' | 'unhandled-rejection' | 'console'): void;
}

export const test = base.extend<{ stack: StackInfo; pageErrors: PageErrors }>({
	pageErrors: async ({}, use) => {
		await use({ expect: () => {} });
	},
	stack: async ({}, use) => {
		await use(JSON.parse(readFileSync(stackFile, 'utf8')) as StackInfo);
	},
	baseURL: async ({ stack }, use) => {
		await use(stack.app);
	}
});

export { expect };
