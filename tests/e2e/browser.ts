// Debian's Chromium, driven by Playwright: `npx playwright install` cannot download
// browsers here, and the machine's network is closed, so background services are off.
import { chromiumExecutable, firefoxExecutable } from '../../scripts/stack/tools.ts';

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

/** Debian's Firefox ESR (apt `firefox-esr`), or MICROCLIMATE_FIREFOX when set. */
export function firefoxPath(): string {
	return firefoxExecutable();
}

// Firefox's equivalents of the Chromium flags above, as prefs.
export const firefoxPrefs: Record<string, string | number | boolean> = {
	// A fake microphone (a tone) and no permission prompt, like --use-fake-*-for-media-stream.
	'media.navigator.streams.fake': true,
	'media.navigator.permission.disabled': true,
	// Play audio without a gesture, like --autoplay-policy=no-user-gesture-required.
	'media.autoplay.default': 0,
	'media.autoplay.blocking_policy': 0,
	// No sound device on the machine: without a mock one every AudioContext stays suspended.
	'media.cubeb.force_mock_context': true,
	// ICE to 127.0.0.1 (the local LiveKit), like --allow-loopback-in-peer-connection.
	'media.peerconnection.ice.loopback': true,
	'media.peerconnection.ice.obfuscate_host_addresses': false,
	// No background traffic on a closed network.
	'app.update.enabled': false,
	'browser.shell.checkDefaultBrowser': false,
	'datareporting.policy.dataSubmissionEnabled': false,
	'toolkit.telemetry.enabled': false
};

export const ENGINES = ['chromium', 'firefox', 'webkit'] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * The engines this run tests: Playwright's `--project` options when given, else
 * MICROCLIMATE_BROWSERS (comma-separated), else all three. Global set-up installs (or
 * fails for) exactly these, so running one engine does not need the others installed.
 */
export function selectedEngines(argv = process.argv, env = process.env): Engine[] {
	const fromArgs = argv.flatMap((arg, i) =>
		arg.startsWith('--project=') ? arg.slice('--project='.length).split(',') : arg === '--project' ? (argv[i + 1] ?? '').split(',') : []
	);
	const wanted = fromArgs.length ? fromArgs : (env.MICROCLIMATE_BROWSERS ?? '').split(',');
	const engines = ENGINES.filter((e) => wanted.includes(e));
	return engines.length ? engines : [...ENGINES];
}
