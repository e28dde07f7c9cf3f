// How the app's files travel: compressed on the wire, and the hashed chunks cached for good.
// A phone on a slow network pays for every byte of the first screen, and a returning visitor
// should not revalidate files whose names change whenever their content does.
import type { Response } from '@playwright/test';
import { test, expect } from './fixtures.ts';

test('the first screen’s chunks arrive compressed and cached immutable; the HTML is revalidated', async ({ page }) => {
	const responses: Response[] = [];
	page.on('response', (r) => responses.push(r));
	await page.goto('/connect');
	await expect(page.getByLabel('Handle')).toBeVisible();

	const chunks = responses.filter((r) => new URL(r.url()).pathname.startsWith('/_app/immutable/') && /\.(js|css)$/.test(new URL(r.url()).pathname));
	expect(chunks.length).toBeGreaterThan(2);
	for (const r of chunks) {
		const headers = await r.allHeaders();
		expect(headers['content-encoding'], r.url()).toMatch(/^(br|gzip)$/);
		expect(headers['cache-control'], r.url()).toBe('public, max-age=31536000, immutable');
		expect(headers['vary'], r.url()).toMatch(/accept-encoding/i);
	}

	const html = responses.find((r) => r.request().resourceType() === 'document');
	expect(html, 'the page itself').toBeDefined();
	const htmlHeaders = await html!.allHeaders();
	expect(htmlHeaders['cache-control']).toBe('no-cache');
	expect(htmlHeaders['content-encoding']).toMatch(/^(br|gzip)$/);

	// What the browser itself counted: every script body crossed the wire smaller than it is.
	const scripts = await page.evaluate(() =>
		(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
			.filter((e) => new URL(e.name).pathname.startsWith('/_app/immutable/') && e.name.endsWith('.js') && e.transferSize > 0)
			.map((e) => ({ name: e.name, encoded: e.encodedBodySize, decoded: e.decodedBodySize }))
	);
	expect(scripts.length).toBeGreaterThan(2);
	// (A file of a few dozen bytes can grow by a header's worth; anything real shrinks.)
	for (const s of scripts.filter((s) => s.decoded > 1024)) expect(s.encoded, s.name).toBeLessThan(s.decoded * 0.6);
	const wire = scripts.reduce((n, s) => n + s.encoded, 0);
	const raw = scripts.reduce((n, s) => n + s.decoded, 0);
	expect(wire).toBeLessThan(raw * 0.5);
	console.log(`[delivery] /connect scripts: ${(wire / 1024).toFixed(1)} KiB on the wire for ${(raw / 1024).toFixed(1)} KiB of JavaScript (${scripts.length} files)`);
});
