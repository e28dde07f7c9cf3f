// Issue 10, item 6 (the session's share): a Cancel that lands while the sign-in's final
// write is in flight writes no session; a server address with a path is refused in the
// field, in words, before anything is asked of the PDS.
import { test, expect } from './fixtures.ts';
import { account, openSignInPopup, passPdsSignIn, storedAppState } from './sign-in.ts';

declare global {
	interface Window {
		__cancelledDuringWrite?: boolean;
	}
}

test('a Cancel that lands while the sign-in’s final write is in flight writes no session', async ({ page, stack }) => {
	const alice = account(stack, 'alice.test');
	// The person's Cancel lands at the worst moment: the instant the app writes the session
	// record (inside IndexedDB's put, before the transaction commits).
	await page.addInitScript(() => {
		const put = IDBObjectStore.prototype.put;
		IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
			const request = put.call(this, value, key);
			if (key === 'session' && this.transaction.db.name === 'microclimate' && !window.__cancelledDuringWrite) {
				const cancel = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Cancel');
				if (cancel) {
					window.__cancelledDuringWrite = true;
					cancel.click();
				}
			}
			return request;
		};
	});
	const popup = await openSignInPopup(page, alice.handle);
	await passPdsSignIn(popup, alice);
	await popup.getByRole('button', { name: 'Authorize' }).click();
	await expect(page.getByRole('alert')).toHaveText('Sign-in cancelled.');
	expect(await page.evaluate(() => window.__cancelledDuringWrite)).toBe(true);
	expect(await storedAppState(page)).toEqual({ session: undefined, pending: undefined });
	// Nothing signs her in behind the cancel: a reload stays on the sign-in screen.
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	expect(new URL(page.url()).pathname).toBe('/connect');
});

test('a server address with a path is refused in the field, naming the address to use', async ({ page, stack }) => {
	await page.goto('/connect');
	await expect(page.getByTestId('server-name')).toBeVisible();
	const host = new URL(stack.server).host;
	await page.getByLabel('Server').fill(`${stack.server}/voice`);
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByTestId('server-status')).toHaveText(`Enter only the server’s host, without a path: ${host} instead of ${host}/voice.`);
	await expect(page.getByLabel('Server')).toHaveAttribute('aria-invalid', 'true');
	await page.getByLabel('Handle').fill('alice.test');
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
});
