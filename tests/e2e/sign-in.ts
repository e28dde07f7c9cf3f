// Signing in as a person would: type the handle, approve on the real PDS pages in the
// popup. Shared by every e2e test that needs a signed-in person.
import type { Page } from '@playwright/test';
import { expect } from './fixtures.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

export type Account = StackInfo['accounts'][number];

export function account(stack: StackInfo, handle: string): Account {
	const found = stack.accounts.find((a) => a.handle === handle);
	if (!found) throw new Error(`The stack has no demo account ${handle}`);
	return found;
}

/**
 * After "Authorize" several hops remain (the app's callback page loads, the token exchange
 * with the PDS, the server's CreateSession): on a busy machine they took over 10 s, the
 * default wait, in both engines. Signing in must still finish; it gets 30 s to.
 */
const SIGN_IN_FINISH_MS = 30_000;

/** Starts a sign-in on /connect (or where `from` lands, e.g. a shared link) and returns the PDS popup. */
export async function openSignInPopup(page: Page, handle: string, from = '/connect'): Promise<Page> {
	await page.goto(from);
	await expect(page.getByTestId('server-name')).toBeVisible();
	await page.getByLabel('Handle').fill(handle);
	const popupEvent = page.waitForEvent('popup');
	await page.getByRole('button', { name: 'Sign in' }).click();
	return popupEvent;
}

/** Fills the PDS sign-in page in the popup; leaves it on the consent page. */
export async function passPdsSignIn(popup: Page, who: Account): Promise<void> {
	await popup.locator('input[name=password]').fill(who.password);
	await popup.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs in where the app uses the redirect flow (a blocked popup, a home-screen app): the
 * tab itself goes to the PDS pages and comes back signed in.
 */
export async function signInByRedirect(page: Page, stack: StackInfo, who: Account): Promise<void> {
	await expect(page.getByTestId('server-name')).toBeVisible();
	await page.getByLabel('Handle').fill(who.handle);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((url) => url.origin === new URL(stack.pds).origin);
	await passPdsSignIn(page, who);
	await page.getByRole('button', { name: 'Authorize' }).click();
	await expect(page.getByText(`Signed in as @${who.handle}`)).toBeVisible({ timeout: SIGN_IN_FINISH_MS });
}

export async function signIn(page: Page, who: Account): Promise<void> {
	const popup = await openSignInPopup(page, who.handle);
	await passPdsSignIn(popup, who);
	await popup.getByRole('button', { name: 'Authorize' }).click();
	await expect(page.getByText(`Signed in as @${who.handle}`)).toBeVisible({ timeout: SIGN_IN_FINISH_MS });
}

/** What the app keeps in IndexedDB: the session record and any pending login. */
export async function storedAppState(page: Page): Promise<{ session: unknown; pending: unknown }> {
	return page.evaluate(
		() =>
			new Promise<{ session: unknown; pending: unknown }>((resolve, reject) => {
				const open = indexedDB.open('microclimate');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const db = open.result;
					if (!db.objectStoreNames.contains('app')) return resolve({ session: undefined, pending: undefined });
					const store = db.transaction('app').objectStore('app');
					const session = store.get('session');
					const pending = store.get('pending-login');
					store.transaction.oncomplete = () => resolve({ session: session.result, pending: pending.result });
				};
			})
	);
}
