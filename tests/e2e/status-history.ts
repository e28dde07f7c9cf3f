// Every text an element shows from now on, however briefly: a status that flickers to
// "Reconnecting…" for one frame is missed by polling, not by a MutationObserver.
import type { Locator } from '@playwright/test';

/** Starts recording `status`'s texts; the returned function reads what it showed so far. */
export async function recordTexts(status: Locator): Promise<() => Promise<string[]>> {
	await status.evaluate((el) => {
		const seen: string[] = [];
		(window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
		new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
	});
	return () => status.page().evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses);
}
