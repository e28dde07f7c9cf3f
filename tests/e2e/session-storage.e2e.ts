// Issue 10, item 4: storage that fails. A browser that blocks storage gets a screen that
// says so and what to do (never a crash), the database is opened anew after a failure,
// and sign-out works, in every tab, even when deleting the record fails.
//
// The failures are simulated with init scripts that make the browser's own IndexedDB API
// fail the way these browsers do: `indexedDB.open` throwing SecurityError (storage blocked
// in settings), an open request failing with UnknownError (Safari private mode), a live
// connection whose transactions fail ("Connection to Indexed Database server lost"), a
// delete that fails. The app and the rest of the stack are real.
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { account, signIn, storedAppState } from './sign-in.ts';

const STORAGE_HEADING = 'This browser is blocking storage, so you can’t stay signed in';

declare global {
	interface Window {
		__storage: { blocked: boolean; lose(): void; failDeletes: boolean };
	}
}

/**
 * The switchable IndexedDB faults, run as an init script in the page. `mode` is how
 * storage is blocked from the start: 'throw', 'fail' or 'no' (not blocked).
 */
function installStorageFaults(mode: string): void {
	{
		const lost = new WeakSet<IDBDatabase>();
		const open = new Set<IDBDatabase>();
		const state = { blocked: mode !== 'no', failDeletes: false, lose: () => open.forEach((db) => lost.add(db)) };
		window.__storage = state;

		const realOpen = IDBFactory.prototype.open;
		IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
			if (state.blocked && mode === 'throw') throw new DOMException('The operation is insecure.', 'SecurityError');
			if (state.blocked) {
				// What Safari private mode hands back: a request that fails.
				const request = new EventTarget() as IDBOpenDBRequest & { onerror: ((e: Event) => void) | null };
				Object.defineProperties(request, {
					error: { value: new DOMException('An internal error was encountered in the Indexed Database server', 'UnknownError') },
					result: { get: () => { throw new DOMException('Not done', 'InvalidStateError'); } },
					readyState: { value: 'done' }
				});
				setTimeout(() => {
					const event = new Event('error');
					request.dispatchEvent(event);
					request.onerror?.(event);
				});
				return request;
			}
			const request = realOpen.call(this, name, version);
			request.addEventListener('success', () => {
				if (name === 'microclimate') open.add(request.result);
			});
			return request;
		};

		const realTransaction = IDBDatabase.prototype.transaction;
		IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
			if (lost.has(this)) throw new DOMException('Connection to Indexed Database server lost. Refresh the page to try again', 'UnknownError');
			return realTransaction.apply(this, args);
		};

		const realDelete = IDBObjectStore.prototype.delete;
		IDBObjectStore.prototype.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
			if (state.failDeletes && key === 'session') throw new DOMException('The operation failed for reasons unrelated to the database itself', 'UnknownError');
			return realDelete.call(this, key);
		};
	}
}

/** alice signed in, in `page` and in a second tab of the same browser, storage faults armed. */
async function aliceInTwoTabs(context: BrowserContext, page: Page, stack: StackInfo): Promise<Page> {
	await context.addInitScript(installStorageFaults, 'no');
	await signIn(page, account(stack, 'alice.test'));
	const other = await context.newPage();
	await other.goto('/');
	await expect(other.getByText('Signed in as @alice.test')).toBeVisible();
	return other;
}

test.describe('storage the browser refuses', () => {
	test('storage blocked in the settings shows what to do instead of an error page', async ({ page }) => {
		await page.addInitScript(installStorageFaults, 'throw');
		await page.goto('/');
		await expect(page.getByRole('heading', { name: STORAGE_HEADING })).toBeVisible();
		await expect(page.getByText('allow them in your browser’s settings')).toBeVisible();
		await page.goto('/connect');
		await expect(page.getByRole('heading', { name: STORAGE_HEADING })).toBeVisible();
	});

	test('private mode: the screen explains, and "Try again" opens the database anew once storage works', async ({ page }) => {
		await page.addInitScript(installStorageFaults, 'fail');
		await page.goto('/connect');
		await expect(page.getByRole('heading', { name: STORAGE_HEADING })).toBeVisible();
		await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
		// The person leaves private mode's restriction behind (here: the fault goes away).
		await page.evaluate(() => (window.__storage.blocked = false));
		await page.getByRole('button', { name: 'Try again' }).click();
		await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		await expect(page.getByTestId('server-name')).toBeVisible();
	});

	test('signing out over a lost database connection still signs out every tab, for good', async ({ context, page, stack }) => {
		const other = await aliceInTwoTabs(context, page, stack);

		await page.getByRole('link', { name: 'Settings' }).click();
		await page.evaluate(() => window.__storage.lose());
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/connect$/);
		await expect(other).toHaveURL(/\/connect$/);
		expect((await storedAppState(page)).session).toBeUndefined();
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	});

	test('a sign-out whose delete fails still signs out every tab, and a reload does not sign her back in', async ({ context, page, stack }) => {
		const other = await aliceInTwoTabs(context, page, stack);

		await page.getByRole('link', { name: 'Settings' }).click();
		await page.evaluate(() => (window.__storage.failDeletes = true));
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/connect$/);
		await expect(other).toHaveURL(/\/connect$/);
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		await page.goto('/');
		await expect(page).toHaveURL(/\/connect$/);
		// Once deleting works again (this fresh page), the record left behind is gone too.
		expect((await storedAppState(page)).session).toBeUndefined();
	});
});
