// Every app icon is generated from the one logo, static/favicon.svg:
//   npx pwa-assets-generator        (writes the PNGs and favicon.ico next to it, in static/)
// The PNGs are committed: they change only when the logo does, a reviewer can see them,
// and the app build does not depend on sharp's native binary.
import { defineConfig, minimal2023Preset } from '@vite-pwa/assets-generator/config';

// The logo's own background colour: maskable and Apple icons are full-bleed squares, so
// the padding around the logo must be the same dark blue, not white.
const background = '#0f1720';

export default defineConfig({
	headLinkOptions: { preset: '2023' },
	preset: {
		...minimal2023Preset,
		maskable: { ...minimal2023Preset.maskable, sizes: [192, 512], resizeOptions: { background } },
		apple: { ...minimal2023Preset.apple, resizeOptions: { background } }
	},
	images: ['static/favicon.svg']
});
