// For the abuse checks: the real API server (its own process, so its memory can be read)
// behind the real Envoy with deploy/envoy.yaml, and a stand-in PLC directory serving the DID
// documents of accounts whose keys the test holds, so that it can mint valid service tokens
// for as many accounts as it likes. Everything listens on 127.0.0.1 and dies with stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { P256Keypair } from '@atproto/crypto';
import { createServiceJwt } from '@atproto/xrpc-server';
import { ensureEnvoy } from '../../scripts/stack/tools.ts';

const root = join(import.meta.dirname, '..', '..');
const LXM = 'app.microclimate.server.createSession';

export interface Account {
	did: string;
	keypair: P256Keypair;
}

async function freePort(): Promise<number> {
	const probe = createNetServer();
	await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
	const { port } = probe.address() as AddressInfo;
	await new Promise((r) => probe.close(r));
	return port;
}

/** A did:plc made of random base32, as PLC DIDs look. */
function randomPlcDid(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
	return `did:plc:${[...randomBytes(24)].map((b) => alphabet[b % 32]).join('')}`;
}

/** The stand-in PLC: GET /<did> answers the account's DID document with its #atproto key. */
async function startPlc(accounts: Map<string, Account>): Promise<{ url: string; server: Server }> {
	const server = createServer((req, res) => {
		const did = decodeURIComponent((req.url ?? '/').slice(1));
		const account = accounts.get(did);
		if (!account) return void res.writeHead(404).end('{"message":"DID not registered"}');
		const doc = {
			'@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
			id: did,
			verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: account.keypair.did().slice('did:key:'.length) }]
		};
		res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** deploy/envoy.yaml with this run's ports (listener, admin, API server). */
function envoyConfigFor(dir: string, ports: { listener: number; admin: number; api: number }): string {
	let text = readFileSync(join(root, 'deploy/envoy.yaml'), 'utf8');
	for (const [from, to] of [[9901, ports.admin], [8080, ports.listener], [9051, ports.api]] as const) {
		const re = new RegExp(`(port_value: )${from}\\b`, 'g');
		if (!re.test(text)) throw new Error(`deploy/envoy.yaml has no "port_value: ${from}" to replace`);
		text = text.replace(re, `$1${to}`);
	}
	const file = join(dir, 'envoy.yaml');
	writeFileSync(file, text);
	return file;
}

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', match: (line: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
	return new Promise((resolve, reject) => {
		const lines = createInterface({ input: child[stream]! });
		const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms`)), timeoutMs);
		child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
		lines.on('line', (line) => {
			if (!match(line)) return;
			clearTimeout(timer);
			resolve(line);
		});
	});
}

export async function startHostileStack(env: Record<string, string> = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'microclimate-abuse-'));
	const accounts = new Map<string, Account>();
	const plc = await startPlc(accounts);
	const listener = await freePort();
	const children: ChildProcess[] = [];
	const stop = async () => {
		for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
		await new Promise((r) => plc.server.close(r));
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		const api = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
			cwd: root,
			stdio: ['ignore', 'pipe', 'inherit'],
			env: {
				...process.env,
				MICROCLIMATE_GRPC_PORT: '0',
				MICROCLIMATE_BIND: '127.0.0.1',
				MICROCLIMATE_PUBLIC_HOSTS: `localhost:${listener},127.0.0.1:${listener}`,
				MICROCLIMATE_DEV: '1',
				MICROCLIMATE_PLC_URL: plc.url,
				MICROCLIMATE_DATA_DIR: join(dir, 'server'),
				MICROCLIMATE_LIVEKIT_URL: '',
				MICROCLIMATE_LIVEKIT_API_KEY: '',
				MICROCLIMATE_LIVEKIT_API_SECRET: '',
				...env
			}
		});
		children.push(api);
		const listening = JSON.parse(await waitForLine(api, 'stdout', (l) => l.includes('"listening"'), 'API server')) as { port: number };
		api.stdout!.resume(); // keep draining its request log
		const envoyBin = await ensureEnvoy();
		const admin = await freePort();
		const envoy = spawn(envoyBin, ['-c', envoyConfigFor(dir, { listener, admin, api: listening.port }), '--disable-hot-restart', '--concurrency', '1', '--log-level', 'warning'], {
			stdio: ['ignore', 'ignore', 'pipe']
		});
		children.push(envoy);
		envoy.stderr!.resume();
		await waitUntilLive(`http://127.0.0.1:${admin}/ready`);
		return {
			url: `http://localhost:${listener}`,
			listener,
			apiPort: listening.port,
			pids: { api: api.pid!, envoy: envoy.pid! },
			/** A new account, registered with the stand-in PLC. */
			async account(): Promise<Account> {
				const account = { did: randomPlcDid(), keypair: await P256Keypair.create() };
				accounts.set(account.did, account);
				return account;
			},
			/** A service token for CreateSession at this server, as the account's PDS would mint it. */
			serviceToken(account: Account): Promise<string> {
				const aud = `did:web:localhost%3A${listener}#microclimate`;
				return createServiceJwt({ iss: account.did, aud, lxm: LXM, exp: Math.floor(Date.now() / 1000) + 60, keypair: account.keypair });
			},
			stop
		};
	} catch (err) {
		await stop();
		throw err;
	}
}

async function waitUntilLive(url: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const live = await fetch(url).then((r) => r.text(), () => '');
		if (live.trim() === 'LIVE') return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`Envoy was not LIVE at ${url} within ${timeoutMs} ms`);
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
	const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
	if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
	return Number(kb) / 1024;
}
