// deploy/envoy.yaml is what every gRPC-Web call goes through; a config Envoy refuses
// would only show up when the stack starts, so check it with Envoy itself.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureEnvoy } from '../../scripts/stack/tools.ts';

const root = join(import.meta.dirname, '..', '..');

describe('deploy/envoy.yaml', () => {
	it('is accepted by Envoy', { timeout: 180_000 }, async () => {
		const envoy = await ensureEnvoy();
		const out = execFileSync(envoy, ['--mode', 'validate', '-c', join(root, 'deploy/envoy.yaml')], { encoding: 'utf8' });
		expect(out).toMatch(/configuration .* OK/);
	});

	it('is refused by Envoy when broken, so the check above can fail', { timeout: 180_000 }, async () => {
		const envoy = await ensureEnvoy();
		expect(() =>
			execFileSync(envoy, ['--mode', 'validate', '--config-yaml', 'static_resources: { listeners: [ { name: 1 } ] }'], {
				stdio: 'pipe'
			})
		).toThrow();
	});
});
