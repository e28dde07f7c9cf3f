// Debian's Chromium, driven by Playwright: `npx playwright install` cannot download
// browsers here, and the machine's network is closed, so background services are off.
import { existsSync } from 'node:fs';

export function chromiumPath(): string {
	return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export function assertChromium(): void {
	if (!existsSync(chromiumPath())) {
		throw new Error(
			`Chromium not found at ${chromiumPath()}. Install it with "apt-get install -y chromium" (as root) or set CHROMIUM_PATH.`
		);
	}
}

export const chromiumArgs = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--use-fake-ui-for-media-stream',
	'--use-fake-device-for-media-stream',
	'--autoplay-policy=no-user-gesture-required',
	'--allow-loopback-in-peer-connection'
];
