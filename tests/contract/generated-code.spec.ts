// The generated contract code is committed; this fails when it no longer matches proto/,
// i.e. someone edited a .proto without running `npm run generate` (or edited gen by hand).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const committed = join(root, 'src/lib/gen');
const scratch = mkdtempSync(join(tmpdir(), 'microclimate-gen-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function files(dir: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
		if (!entry.isFile()) continue;
		const path = join(entry.parentPath, entry.name);
		out.set(relative(dir, path), readFileSync(path, 'utf8'));
	}
	return out;
}

describe('generated contract code', () => {
	it('is exactly what buf generate makes from proto/', () => {
		const template = readFileSync(join(root, 'buf.gen.yaml'), 'utf8');
		expect(template).toMatch(/out: src\/lib\/gen/);
		const out = join(scratch, 'gen');
		const scratchTemplate = join(scratch, 'buf.gen.yaml');
		writeFileSync(scratchTemplate, template.replace(/out: src\/lib\/gen/, `out: ${out}`));
		execFileSync('buf', ['generate', '--template', scratchTemplate], { cwd: root, stdio: 'pipe' });

		const fresh = files(out);
		const current = files(committed);
		expect(fresh.size).toBeGreaterThan(0);
		expect([...current.keys()].sort()).toEqual([...fresh.keys()].sort());
		for (const [path, text] of fresh) expect(current.get(path), path).toBe(text);
	});
});
