import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		// SPA: nothing is prerendered; every unknown path falls back to 200.html, which a
		// static server in single-page mode serves (index.html would clash with prerendering).
		adapter: adapter({ fallback: '200.html', strict: true })
	}
};

export default config;
