// The app is a single-page app: it renders in the browser only, served from a static host.
export const ssr = false;
export const prerender = false;
