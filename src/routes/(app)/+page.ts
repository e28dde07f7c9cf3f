// The channel list is where the app starts (the manifest's start_url). Its shell is written at
// build time (build/index.html): no content (the root layout turns SSR off), but the
// module preloads and stylesheets of this screen, so a start here fetches them while the
// HTML is parsed instead of after SvelteKit's boot has found them, and adds no preload
// links at run time. The session gate (the layout's load) still decides in the browser.
export const prerender = true;
