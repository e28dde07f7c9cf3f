// ESLint: only the rules that catch what the type checker does not, with the types behind
// them (typescript-eslint's type-aware rules): a promise that nobody awaits or handles
// (no-floating-promises: its rejection is unhandled and Node ends the process, as a dropped
// Redis write once did in server/voice/webhooks.ts), and a promise passed where a plain
// value or a void callback is expected (no-misused-promises: `if (promise)`, an async
// event handler whose rejection nobody hears). Fix a finding at its cause: await it, or
// `void` it with a comment that says why not waiting is safe.
// Scope: server/ and src/ (Svelte components and runes modules too); generated code is left out.
// `npm run lint`; a phase of `npm test` (scripts/test.sh).
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const promiseRules = {
	'@typescript-eslint/no-floating-promises': 'error',
	'@typescript-eslint/no-misused-promises': 'error'
};

// Every file is checked with the tsconfig that owns it (server/ has its own).
const typed = { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.svelte'] };

export default defineConfig(
	{ ignores: ['src/lib/gen/**', '.svelte-kit/**', 'build/**', 'dist/**', 'node_modules/**', '.tools/**', '.cache/**'] },
	{
		files: ['server/**/*.ts', 'src/**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: typed },
		plugins: { '@typescript-eslint': tseslint.plugin },
		rules: promiseRules
	},
	// Components and runes modules (*.svelte.ts): svelte-eslint-parser, with TypeScript inside.
	...svelte.configs.base,
	{
		files: ['src/**/*.svelte', 'src/**/*.svelte.ts'],
		languageOptions: { parserOptions: { ...typed, parser: tseslint.parser } },
		plugins: { '@typescript-eslint': tseslint.plugin },
		rules: promiseRules
	}
);
