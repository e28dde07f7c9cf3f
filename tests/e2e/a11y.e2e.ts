// Accessibility: axe (WCAG 2.1 A/AA) finds no serious or critical violation on any screen;
// every control is reachable by keyboard with a visible focus ring.
import type { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';

async function seriousViolations(page: Page): Promise<{ id: string; impact?: string | null; nodes: string[] }[]> {
	const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
	return results.violations
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/**
 * Tabs (or Shift+Tabs) through the page; returns the controls whose focus is not visibly
 * marked. Stay within the page's stops: past the last one, Firefox moves focus to its own
 * toolbar, and a page without focus draws no ring (`:focus-visible` doesn't match).
 */
async function unmarkedFocus(page: Page, stops: number, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<string[]> {
	const unmarked: string[] = [];
	for (let i = 0; i < stops; i++) {
		await page.keyboard.press(key);
		const focus = await page.evaluate(() => {
			const el = document.activeElement as HTMLElement | null;
			if (!el || el === document.body) return undefined;
			const style = getComputedStyle(el);
			const marked = style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px');
			const name = `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30) ?? ''}`;
			return { name: document.hasFocus() ? name : `${name} (the page has no focus)`, marked };
		});
		if (focus && !focus.marked) unmarked.push(focus.name);
	}
	return unmarked;
}

test.describe('accessibility', () => {
	test('the connect screen: no serious axe violation, visible keyboard focus', async ({ page }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
		expect(await seriousViolations(page)).toEqual([]);
		expect(await unmarkedFocus(page, 5)).toEqual([]);
		// The server check is announced politely.
		await expect(page.getByTestId('server-status')).toHaveAttribute('aria-live', 'polite');
	});

	test('the signed-in screens, online and offline: no serious axe violation, visible keyboard focus', async ({ page, context, stack }) => {
		await signIn(page, account(stack, 'alice.test'));
		await expect(page.getByText('Lobby')).toBeVisible();
		expect(await seriousViolations(page)).toEqual([]);
		expect(await unmarkedFocus(page, 2)).toEqual([]);

		await context.setOffline(true);
		const banner = page.getByTestId('offline-banner');
		await expect(banner).toBeVisible();
		// Announced politely, from a live region that was already in the page.
		await expect(page.getByRole('status').filter({ has: banner })).toHaveAttribute('aria-live', 'polite');
		expect(await seriousViolations(page)).toEqual([]);
		await context.setOffline(false);

		await page.getByRole('link', { name: 'Settings' }).click();
		await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
		expect(await seriousViolations(page)).toEqual([]);
		expect(await unmarkedFocus(page, 4)).toEqual([]);
	});

	test('in a call: no serious axe violation; call controls take focus, every tab stop shows it', async ({ browser, stack }) => {
		const context = await browser.newContext({ baseURL: stack.app, permissions: ['microphone'] });
		try {
			const page = await context.newPage();
			await signIn(page, account(stack, 'bob.test'));
			await page.getByRole('button', { name: /Lobby/ }).click();
			await expect(page.getByTestId('call-status')).toHaveText('Connected');
			expect(await seriousViolations(page)).toEqual([]);
			for (const name of ['Mute', 'Deafen', 'Hold to talk', 'Leave channel']) {
				const control = page.getByRole('button', { name, exact: true });
				await control.focus();
				await expect(control).toBeFocused();
			}
			// Every stop by keyboard (the page's tabbable controls: links, the share buttons, the
			// channels, the call controls), forward from the first to the last control and back.
			const stops = await page.evaluate(
				() =>
					[...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')].filter(
						(el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.checkVisibility()
					).length
			);
			const first = page.getByRole('link', { name: 'Microclimate' });
			await first.focus();
			expect(await unmarkedFocus(page, stops - 1)).toEqual([]);
			await expect(page.getByRole('button', { name: 'Leave channel' })).toBeFocused();
			expect(await unmarkedFocus(page, stops - 1, 'Shift+Tab')).toEqual([]);
			await expect(first).toBeFocused();
			// Connection changes are announced politely.
			await expect(page.getByTestId('announcer')).toHaveAttribute('aria-live', 'polite');
			await page.getByRole('button', { name: 'Leave channel' }).click();
		} finally {
			await context.close();
		}
	});
});
