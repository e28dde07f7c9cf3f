// Sizes of the JavaScript the first signed-in screen loaded, measured from build/ (gzip),
// and of the livekit-client chunk that only a join loads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUILD = join(import.meta.dirname, '..', '..', 'build');

function gz(file: string): number {
	return gzipSync(readFileSync(file)).length;
}

/** `loaded`: resource URLs the page fetched (performance entries). */
export function firstScreenJs(loaded: string[]) {
	const js = loaded.map((u) => new URL(u).pathname).filter((p) => p.startsWith('/_app/') && p.endsWith('.js'));
	const chunksDir = join(BUILD, '_app', 'immutable', 'chunks');
	// The largest chunk naming LiveKit is livekit-client itself.
	const livekit = readdirSync(chunksDir)
		.filter((f) => readFileSync(join(chunksDir, f), 'utf8').includes('LiveKit'))
		.sort((a, b) => gz(join(chunksDir, b)) - gz(join(chunksDir, a)))[0]!;
	return {
		files: js.length,
		gzip: js.reduce((sum, p) => sum + gz(join(BUILD, p)), 0),
		livekitGzip: gz(join(chunksDir, livekit)),
		livekitLoaded: js.some((p) => p.endsWith(livekit))
	};
}
