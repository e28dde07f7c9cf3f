// "A new version is deployed while the app is open": the service-worker tests need the served
// app to change under an open page. A vite build takes 15-25 s here and every engine runs
// those tests, so a run builds one second version, once, and each later deploy swaps the
// served version for the other one. Both are built from the same code with the stack's own
// settings; what differs is SvelteKit's version, hence every precache revision and sw.js.
// Each kept version holds the served folder and Vite's client output with its manifest,
// which tests read to know the served files (scripts/pwa/first-screen-js.ts): both swap.
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_DIR, buildApp, stackAppEnv } from '../../scripts/stack/app.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

/** The versions built during this run, each under its SvelteKit version name. */
export const APP_VERSIONS_DIR = path.join(path.dirname(BUILD_DIR), '.stack/app-versions');
/** Vite's client output of the last build (its manifest says which file is which). */
const VITE_CLIENT_DIR = path.join(path.dirname(BUILD_DIR), '.svelte-kit/output/client');

function servedVersion(): string {
	const file = path.join(BUILD_DIR, '_app/version.json');
	return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

function keep(version: string): void {
	const copy = path.join(APP_VERSIONS_DIR, version);
	if (fs.existsSync(copy)) return;
	fs.cpSync(BUILD_DIR, path.join(copy, 'build'), { recursive: true });
	fs.cpSync(VITE_CLIENT_DIR, path.join(copy, 'client'), { recursive: true });
}

/** Puts `from` in place of `dir` with one rename (`dir`'s old content is removed). */
function replaceDir(dir: string, from: string): void {
	const incoming = `${APP_VERSIONS_DIR}-incoming`;
	const outgoing = `${APP_VERSIONS_DIR}-outgoing`;
	fs.rmSync(incoming, { recursive: true, force: true });
	fs.rmSync(outgoing, { recursive: true, force: true });
	fs.cpSync(from, incoming, { recursive: true });
	fs.renameSync(dir, outgoing);
	fs.renameSync(incoming, dir);
	fs.rmSync(outgoing, { recursive: true, force: true });
}

/**
 * Deploys another version of the app, as a host would: the new files replace the served
 * folder in one rename, so an open page never sees a half-copied app.
 */
export async function deployNewVersion(stack: StackInfo): Promise<void> {
	const current = servedVersion();
	keep(current);
	const other = fs.readdirSync(APP_VERSIONS_DIR).find((v) => v !== current);
	if (!other) {
		await buildApp(stackAppEnv({ server: stack.server, plc: stack.plc, pds: stack.pds }));
		keep(servedVersion());
		return;
	}
	replaceDir(VITE_CLIENT_DIR, path.join(APP_VERSIONS_DIR, other, 'client'));
	replaceDir(BUILD_DIR, path.join(APP_VERSIONS_DIR, other, 'build'));
}
