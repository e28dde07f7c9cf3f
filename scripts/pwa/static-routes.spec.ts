import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { describe, it, expect } from 'vitest';
import { writeStaticRoutes, STATIC_ROUTES_FILE } from './static-routes.ts';

/** Runs the written sw-routes.js against a fake install event; returns the rules it added. */
function addedRules(script: string): unknown[] {
	const rules: unknown[] = [];
	let install: ((event: unknown) => void) | undefined;
	const self = { addEventListener: (type: string, listener: (event: unknown) => void) => type === 'install' && (install = listener) };
	vm.runInNewContext(script, { self, console });
	install?.({ addRoutes: async (added: unknown[]) => void rules.push(...added), waitUntil: () => {} });
	return rules;
}

describe('static routes of the service worker', () => {
	it('cover exactly the precached immutable files, so lazy chunks reach the worker', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-routes-'));
		const entries = [
			{ url: 'client/_app/immutable/entry/start.abc.js', revision: null, size: 1 },
			{ url: 'client/_app/immutable/assets/0.def.css', revision: null, size: 1 },
			{ url: 'client/manifest.webmanifest', revision: '1', size: 1 },
			{ url: '/', revision: '2', size: 0 }
		];
		const result = await writeStaticRoutes(dir)(entries);
		expect(result.manifest).toEqual(entries);
		const rules = addedRules(fs.readFileSync(path.join(dir, STATIC_ROUTES_FILE), 'utf8'));
		expect(rules).toEqual([
			{
				condition: {
					or: [{ urlPattern: { pathname: '/_app/immutable/assets/0.def.css' } }, { urlPattern: { pathname: '/_app/immutable/entry/start.abc.js' } }]
				},
				source: 'cache'
			}
		]);
		fs.rmSync(dir, { recursive: true });
	});
});
