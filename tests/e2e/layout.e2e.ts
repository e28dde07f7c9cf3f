// Phone and desktop layouts: no horizontal scroll and touch targets of at least 44 px,
// measured from the DOM on every screen; screenshots saved as test artefacts.
import type { Page, TestInfo } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';

const SCREENS = [
	{ name: 'phone-360x740', viewport: { width: 360, height: 740 }, mobile: true },
	{ name: 'phone-390x844', viewport: { width: 390, height: 844 }, mobile: true },
	{ name: 'desktop-1280x800', viewport: { width: 1280, height: 800 }, mobile: false }
];

interface Measured {
	overflow: number;
	small: { control: string; width: number; height: number }[];
}

/** Horizontal overflow in px, and every visible control smaller than 44x44 px. */
function measure(page: Page): Promise<Measured> {
	return page.evaluate(() => {
		const selector = 'a[href], button, input, select, textarea, [role="button"], [tabindex]:not([tabindex="-1"])';
		const small = [...document.querySelectorAll<HTMLElement>(selector)]
			.filter((el) => el.checkVisibility())
			.map((el) => {
				// A checkbox or radio inside its <label> is tapped through the whole label: that is its target.
				const isToggle = el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio');
				const target = isToggle ? (el.closest('label') ?? el) : el;
				const box = target.getBoundingClientRect();
				const control = `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;
				return { control, width: Math.round(box.width), height: Math.round(box.height) };
			})
			.filter((c) => c.width < 44 || c.height < 44);
		return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, small };
	});
}

async function check(page: Page, testInfo: TestInfo, file: string): Promise<void> {
	await page.screenshot({ path: testInfo.outputPath(`${file}.png`), fullPage: true });
	const measured = await measure(page);
	expect(measured.overflow, `${file}: horizontal overflow`).toBeLessThanOrEqual(0);
	expect(measured.small, `${file}: controls under 44 px`).toEqual([]);
}

for (const screen of SCREENS) {
	test.describe(screen.name, () => {
		test.use({ viewport: screen.viewport, isMobile: screen.mobile, hasTouch: screen.mobile });

		test(`every screen fits ${screen.viewport.width} px without horizontal scroll, controls at least 44 px`, async ({ page, context, stack }, testInfo) => {
			await page.goto('/connect');
			await expect(page.getByTestId('server-name')).toBeVisible();
			await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
			await check(page, testInfo, `${screen.name}-connect`);

			await signIn(page, account(stack, 'alice.test'));
			await expect(page.getByText('Lobby')).toBeVisible();
			await check(page, testInfo, `${screen.name}-channels`);

			await context.setOffline(true);
			await expect(page.getByTestId('offline-banner')).toBeVisible();
			await check(page, testInfo, `${screen.name}-channels-offline`);
			await context.setOffline(false);
			await expect(page.getByTestId('offline-banner')).toHaveCount(0);

			await page.getByRole('link', { name: 'Settings' }).click();
			await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
			await check(page, testInfo, `${screen.name}-settings`);
		});
	});
}
