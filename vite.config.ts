import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { clientMetadataPlugin } from './scripts/client-metadata.ts';

export default defineConfig({
	plugins: [sveltekit(), clientMetadataPlugin()],
	server: { host: '127.0.0.1', port: 5173, strictPort: true },
	preview: { host: '127.0.0.1', port: 4173, strictPort: true },
	test: {
		include: ['src/**/*.spec.ts', 'server/**/*.spec.ts', 'scripts/**/*.spec.ts', 'tests/contract/**/*.spec.ts', 'tests/unit/**/*.spec.ts', 'bench/**/*.spec.ts'],
		environment: 'node',
		expect: { requireAssertions: true },
		testTimeout: 30_000
	}
});
