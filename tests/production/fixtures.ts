// The production suite's fixtures: the e2e ones (every page's errors fail the test), plus the
// browsers pointed at the rehearsal the way a person's desktop browser would be with the
// banner's command line: the names map to the front door, and the certificate is trusted.
//
// Chromium: --host-resolver-rules and --ignore-certificate-errors-spki-list with the server
// certificate's key. Real trust, not Playwright's ignoreHTTPSErrors: with that a page loads
// but the service worker's registration is refused (FACTS "Production shape").
// Firefox: network.dns.forceResolve (every name to the front door's address),
// network.socket.forcePort (443 to the front door's port when it moved) and ignoreHTTPSErrors,
// under which Firefox does register the service worker.
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, LaunchOptions, Page, Route } from '@playwright/test';
import { test as base, expect } from '../e2e/fixtures.ts';
import { chromiumArgs, chromiumPath, firefoxPath, firefoxPrefs } from '../e2e/browser.ts';
import { passPdsSignIn } from '../e2e/sign-in.ts';
import { chromiumSwitches } from '../../scripts/stack/production/banner.ts';
import type { ProductionStackInfo } from '../../scripts/stack/production/index.ts';

const stackFile = path.join(import.meta.dirname, '..', '..', '.stack', 'stack.json');

export function readProductionStack(): ProductionStackInfo {
	const info = JSON.parse(fs.readFileSync(stackFile, 'utf8')) as ProductionStackInfo;
	if (!info.production) throw new Error(`${stackFile} is not the production rehearsal's (run with -c playwright.production.config.ts)`);
	return info;
}

export function account(info: ProductionStackInfo, name: string): ProductionStackInfo['accounts'][number] {
	const found = info.accounts.find((a) => a.handle.startsWith(`${name}.`));
	if (!found) throw new Error(`The rehearsal has no demo account ${name}`);
	return found;
}

/** Signs in through the popup on the real PDS pages; returns the client_id the PDS was given. */
export async function signIn(page: Page, info: ProductionStackInfo, name: string): Promise<string | null> {
	const who = account(info, name);
	await page.goto('/connect');
	await expect(page.getByTestId('server-name')).toBeVisible();
	await page.getByLabel('Handle').fill(who.handle);
	const popupEvent = page.waitForEvent('popup');
	await page.getByRole('button', { name: 'Sign in' }).click();
	const popup = await popupEvent;
	await popup.waitForURL((url) => url.origin === info.pds);
	const clientId = new URL(popup.url()).searchParams.get('client_id');
	await passPdsSignIn(popup, { ...who });
	// An untrusted discoverable client: the consent page names it by its client_id URL.
	await expect(popup.getByText(new URL(info.app).hostname).first()).toBeVisible();
	await popup.getByRole('button', { name: 'Authorize' }).click();
	await expect(page.getByText(`Signed in as @${who.handle}`)).toBeVisible({ timeout: 30_000 });
	return clientId;
}

export const test = base.extend<{ prod: ProductionStackInfo }, { launchOptions: LaunchOptions }>({
	launchOptions: [
		async ({ browserName }, use) => {
			const info = readProductionStack();
			if (browserName === 'chromium') {
				await use({ executablePath: chromiumPath(), args: [...chromiumArgs, ...chromiumSwitches(info)] });
			} else {
				await use({
					executablePath: firefoxPath(),
					firefoxUserPrefs: {
						...firefoxPrefs,
						'network.dns.forceResolve': '127.0.0.1',
						...(info.frontPort === 443 ? {} : { 'network.socket.forcePort': `443=${info.frontPort}` })
					}
				});
			}
		},
		{ scope: 'worker' }
	],
	ignoreHTTPSErrors: async ({ browserName }, use) => {
		await use(browserName === 'firefox');
	},
	prod: async ({}, use) => {
		await use(readProductionStack());
	}
});

const WATCH = '**/microclimate.channels.v1.ChannelsService/WatchChannels';

/**
 * Refuses the next WatchChannels stream once, as an expired session would be (UNAUTHENTICATED),
 * so the app renews at once. `stop()` removes the route and says how many were refused.
 */
export async function refuseWatchOnce(context: BrowserContext, app: string): Promise<{ stop(): Promise<number> }> {
	let refused = 0;
	const refuse = async (route: Route) => {
		if (route.request().method() === 'OPTIONS' || refused > 0) return route.continue();
		refused++;
		await route.fulfill({
			status: 200,
			headers: {
				'content-type': 'application/grpc-web+proto',
				'grpc-status': '16',
				'grpc-message': 'session%20expired',
				'access-control-allow-origin': app,
				'access-control-expose-headers': 'grpc-status, grpc-message, grpc-status-details-bin, date',
				vary: 'Origin'
			},
			body: ''
		});
	};
	await context.route(WATCH, refuse);
	return {
		stop: async () => {
			await context.unroute(WATCH, refuse);
			return refused;
		}
	};
}

export { expect };
