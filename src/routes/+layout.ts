// The app is a single-page app: it renders in the browser only, served from a static host.
import { browser } from '$app/environment';
import { CALLBACK_PATH, loadOAuthClient } from '$lib/auth/oauth-client.js';

export const ssr = false;
export const prerender = false;

// The callback page's one job needs the OAuth client. Its chunk starts loading as the app
// boots (this module is in the boot's first wave) instead of after the callback page's own
// chunk has loaded and run: one round trip less before the token exchange. Still lazy
// everywhere else (oauth-client.ts).
if (browser && location.pathname === CALLBACK_PATH) void loadOAuthClient().catch(() => {}); // the page reports a failure
