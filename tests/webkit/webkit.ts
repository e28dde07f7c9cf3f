// WebKit for the tests: Debian's WebKitGTK MiniBrowser, driven through WebKitWebDriver on an
// Xvfb display (MiniBrowser has no headless mode). Playwright cannot drive it (it needs its
// own patched WebKit build), so the WebKit tests run in Playwright's runner (one stack for
// every engine, one report) but talk to the browser with selenium-webdriver: the W3C
// WebDriver client of the Selenium project, one small package with its types, where
// WebdriverIO would bring a whole test framework we don't use.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { ensureWebKit } from '../../scripts/stack/tools.ts';

/**
 * MiniBrowser's switches for the tests. `autoplay: false` sets Safari's default policy
 * ("Stop Media with Sound": sound starts only from a tap). Without any switch WebKitGTK
 * lets every page play, AudioContexts included, which is no test of Safari's habits.
 */
export function miniBrowserArgs(options: { autoplay: boolean }): string[] {
	return [
		'--automation',
		// The mock capture devices are WebKit's fake microphone (a tone), like Chromium's.
		'--enable-media-stream=true',
		'--enable-mock-capture-devices=true',
		// The sign-in popup opens from the click, as in Safari; automation needs it allowed.
		'--javascript-can-open-windows-automatically=true',
		`--autoplay-policy=${options.autoplay ? 'allow' : 'allow-without-sound'}`
	];
}

async function freePort(): Promise<number> {
	const server = net.createServer().listen(0, '127.0.0.1');
	await once(server, 'listening');
	const { port } = server.address() as net.AddressInfo;
	server.close();
	return port;
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			if ((await fetch(url)).ok) return;
		} catch {
			/* not listening yet */
		}
		if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer at ${url} in ${timeoutMs / 1000} s`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

export interface WebKitDriverService {
	url: string;
	browser: string;
	stop(): Promise<void>;
}

function stopProcess(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	const exited = once(child, 'exit').then(() => {});
	child.kill('SIGTERM');
	return exited;
}

/** Starts Xvfb on a free display and WebKitWebDriver on a free port, for one test worker. */
export async function startWebKitDriver(): Promise<WebKitDriverService> {
	const tools = await ensureWebKit();
	// -displayfd: Xvfb picks a free display itself and writes its number to fd 3.
	const xvfb = spawn(tools.xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
		stdio: ['ignore', 'ignore', 'pipe', 'pipe']
	});
	let xvfbLog = '';
	xvfb.stderr!.on('data', (d) => (xvfbLog += d));
	const display = await new Promise<string>((resolve, reject) => {
		let out = '';
		(xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d) => {
			out += d;
			if (out.includes('\n')) resolve(`:${out.trim()}`);
		});
		xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display: ${xvfbLog.slice(-500)}`)));
	});
	const port = await freePort();
	const driver = spawn(tools.driver, [`--port=${port}`, '--host=127.0.0.1'], {
		env: { ...process.env, DISPLAY: display },
		stdio: ['ignore', 'ignore', 'inherit']
	});
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await stopProcess(driver);
		await stopProcess(xvfb);
	};
	try {
		await waitFor(`${url}/status`, 15_000);
	} catch (err) {
		await stop();
		throw err;
	}
	return { url, browser: tools.browser, stop };
}

/** A new MiniBrowser session (a fresh, empty profile) through the running driver. */
export async function newSession(service: WebKitDriverService, options: { autoplay: boolean; args?: string[] }): Promise<WebDriver> {
	return new Builder()
		.usingServer(service.url)
		.withCapabilities({
			browserName: 'MiniBrowser',
			acceptInsecureCerts: true,
			'webkitgtk:browserOptions': { binary: service.browser, args: [...miniBrowserArgs(options), ...(options.args ?? [])] }
		})
		.build();
}
