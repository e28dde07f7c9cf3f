// First-screen JS and CSS of every route, and the lazily loaded chunks, as bench rows.
import { firstScreenJs, lazyChunk, routeNodes } from '../scripts/pwa/first-screen-js.ts';
import type { Row } from './report.ts';

export function bundleRows(): Row[] {
	const rows: Row[] = Object.keys(routeNodes()).map((route) => {
		const js = firstScreenJs(route);
		return {
			figure: `first-screen JS, route ${route}`,
			unit: 'KiB',
			value: js.gzip / 1024,
			goal: '<= 80 KB (80,000 B = 78.1 KiB)',
			note: `${js.gzip} bytes; + CSS ${(js.cssGzip / 1024).toFixed(1)} KiB, ${js.files.length} files, gzip -9`
		};
	});
	for (const [label, name] of [['call engine + livekit-client chunk (lazy)', 'livekit-engine'], ['OAuth client chunk (lazy)', 'oauth-client-browser']] as const) {
		const chunk = lazyChunk(name);
		if (chunk) rows.push({ figure: label, unit: 'KiB', value: chunk.gzip / 1024, note: 'loaded on demand' });
	}
	return rows;
}
