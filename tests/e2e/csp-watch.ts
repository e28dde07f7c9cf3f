// Collects Content-Security-Policy violations of the app's own pages in a browser
// context (popups included): securitypolicyviolation events and the console's "Refused
// to …" reports. Pages of other origins (the PDS sign-in pages) are not the app's policy.
import type { BrowserContext, ConsoleMessage } from '@playwright/test';

export interface CspViolation {
	page: string;
	directive: string;
	blocked: string;
	sample?: string;
}

export async function watchCsp(context: BrowserContext, appOrigin: string): Promise<() => Promise<CspViolation[]>> {
	const fromConsole: CspViolation[] = [];
	await context.addInitScript(() => {
		const store: unknown[] = [];
		Object.defineProperty(window, '__cspViolations', { value: store });
		document.addEventListener('securitypolicyviolation', (e) =>
			store.push({ page: location.href, directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample })
		);
	});
	const onConsole = (msg: ConsoleMessage) => {
		const url = msg.page()?.url() ?? '';
		if (!url.startsWith(appOrigin)) return;
		if (/Content Security Policy|Refused to/i.test(msg.text())) {
			fromConsole.push({ page: url, directive: 'console', blocked: msg.text() });
		}
	};
	context.on('console', onConsole);
	return async () => {
		const all = [...fromConsole];
		for (const page of context.pages()) {
			if (page.isClosed() || !page.url().startsWith(appOrigin)) continue;
			const found = await page.evaluate(() => (window as unknown as { __cspViolations?: CspViolation[] }).__cspViolations ?? []).catch(() => []);
			all.push(...found);
		}
		return all;
	};
}
