// Debian's Chromium, driven by Playwright: `npx playwright install` cannot download
// browsers here, and the machine's network is closed, so background services are off.
import { chromiumExecutable } from '../../scripts/stack/tools.ts';

/**
 * Where global set-up finds (or installs) Chromium. Before set-up has run on a fresh
 * machine nothing is there yet, so fall back to where apt-get puts it.
 */
export function chromiumPath(): string {
	return chromiumExecutable() ?? '/usr/bin/chromium';
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
