// What makes the app installable, checked the way any browser reads it (both projects).
// Chromium additionally gives its own "installable" verdict in lighthouse.chromium.e2e.ts;
// Firefox has no such verdict to ask for, so this is what it checks.
import { test, expect } from './fixtures.ts';

test('the page links a manifest with a standalone start URL in scope, and icons that load at their stated sizes', async ({
	page
}) => {
	await page.goto('/connect');
	const href = await page.locator('link[rel=manifest]').getAttribute('href');
	expect(href).toBeTruthy();
	const manifestUrl = new URL(href!, page.url()).href;
	const manifest = await page.evaluate(async (url) => (await fetch(url)).json(), manifestUrl);
	expect(manifest).toMatchObject({ name: 'Microclimate', display: 'standalone' });
	const scope = new URL(manifest.scope ?? '.', manifestUrl).href;
	expect(new URL(manifest.start_url, manifestUrl).href.startsWith(scope)).toBe(true);

	const icons = manifest.icons as { src: string; sizes: string; type: string; purpose?: string }[];
	// What install prompts need: a 192 px and a 512 px icon for "any" use.
	const anySizes = icons.filter((i) => (i.purpose ?? 'any').split(' ').includes('any')).map((i) => i.sizes);
	expect(anySizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
	for (const icon of icons) {
		const decoded = await page.evaluate(async (url) => {
			const res = await fetch(url);
			const bitmap = await createImageBitmap(await res.blob());
			return { type: res.headers.get('content-type'), size: `${bitmap.width}x${bitmap.height}` };
		}, new URL(icon.src, manifestUrl).href);
		expect(decoded, icon.src).toEqual({ type: icon.type, size: icon.sizes });
	}
});
