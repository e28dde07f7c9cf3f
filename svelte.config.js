import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadEnv } from 'vite';

// The same PUBLIC_* values the app is built with ($env/static/public: .env, overridden by
// the build's environment). Without PUBLIC_APP_URL the build is the local stack's, whose
// PDS, PLC, Envoy and LiveKit are plain http/ws on loopback.
const env = loadEnv(process.env.NODE_ENV === 'production' ? 'production' : 'development', process.cwd(), 'PUBLIC_');
const localStack = !env.PUBLIC_APP_URL;
const loopback = localStack
	? ['http://localhost:*', 'http://127.0.0.1:*', 'ws://localhost:*', 'ws://127.0.0.1:*']
	: [];

/**
 * The image service avatars come from (PUBLIC_AVATAR_ORIGIN): the only origin besides the
 * app's own that img-src allows, so a server can never make the app load an image from
 * anywhere else. Empty: no avatars (the initials show).
 * @returns {string[]}
 */
function avatarOrigin() {
	const value = env.PUBLIC_AVATAR_ORIGIN?.trim();
	if (!value) return [];
	const url = new URL(value);
	const allowed = localStack ? ['https:', 'http:'] : ['https:'];
	if (!allowed.includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
		throw new Error(`svelte.config.js: PUBLIC_AVATAR_ORIGIN must be an ${allowed.join(' or ')} origin (no path), got "${value}"`);
	}
	return [url.origin];
}

/**
 * SvelteKit's route announcer (a live region it renders in the root component) carries a
 * style attribute. Rather than 'unsafe-inline' for every style attribute, allow exactly
 * that one by its hash ('unsafe-hashes'), read from the installed Kit so an upgrade that
 * changes it cannot silently break the policy.
 * @returns {Array<`sha256-${string}`>}
 */
function kitAnnouncerStyleHash() {
	const kitRoot = createRequire(import.meta.url).resolve('@sveltejs/kit/package.json').replace(/package\.json$/, '');
	const source = readFileSync(`${kitRoot}src/core/sync/write_root.js`, 'utf8');
	const style = source.match(/id="svelte-announcer"[^>]*style="([^"]+)"/)?.[1];
	if (!style) throw new Error('svelte.config.js: SvelteKit no longer renders the announcer with a style attribute; update the CSP');
	return [/** @type {`sha256-${string}`} */ (`sha256-${createHash('sha256').update(style).digest('base64')}`)];
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		// SPA: only two shells are prerendered (/connect's form, and / as the channel list's
		// shell with its module preloads); every other path falls back to 200.html, which a
		// static server in single-page mode serves (index.html is the prerendered /).
		// precompress writes a .br and a .gz beside every file, so a static host sends the
		// small version with Content-Encoding instead of compressing (or not) on the fly.
		adapter: adapter({ fallback: '200.html', strict: true, precompress: true }),
		// A static host sends no per-response nonce, so SvelteKit hashes its inline boot
		// script into a <meta> policy. frame-ancestors cannot live in a <meta> tag: the
		// static server sends it as a header (scripts/stack/app.ts; a deployment's host too).
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				// The app talks to servers and PDSes the person chooses: any https/wss origin.
				'connect-src': ['self', 'https:', 'wss:', ...loopback],
				'img-src': ['self', 'data:', 'blob:', ...avatarOrigin()],
				'media-src': ['self', 'blob:'],
				// Component styles are files; no inline <style> elements are needed.
				'style-src': ['self'],
				'style-src-attr': ['unsafe-hashes', ...kitAnnouncerStyleHash()],
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'object-src': ['none']
			}
		}
	}
};

export default config;
