// Sizes of the JavaScript a signed-in tab actually loaded (from its resource timings,
// gzip from build/), and whether the call engine with livekit-client, which only a join
// loads, was among it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lazyChunk } from '../../scripts/pwa/first-screen-js.ts';

const BUILD = join(import.meta.dirname, '..', '..', 'build');

/** `loaded`: resource URLs the page fetched (performance entries). */
export function firstScreenJs(loaded: string[]) {
	const js = loaded.map((u) => new URL(u).pathname).filter((p) => p.startsWith('/_app/') && p.endsWith('.js'));
	const engine = lazyChunk('livekit-engine');
	if (!engine) throw new Error('The build has no lazily loaded call engine (src/lib/channels/livekit-engine.ts)');
	return {
		files: js.length,
		gzip: js.reduce((sum, p) => sum + gzipSync(readFileSync(join(BUILD, p))).length, 0),
		livekitGzip: engine.gzip,
		livekitLoaded: js.some((p) => p.endsWith(engine.file))
	};
}
