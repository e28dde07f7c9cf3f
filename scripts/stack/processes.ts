// Child processes of the stack: each runs in its own process group with its output in
// .stack/logs/<name>.log, is health-checked with a timeout, and is stopped as a whole group
// (SIGTERM, then SIGKILL after 5 s).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HOST, LOGS_DIR, portOwner } from './config.js';

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; `{ abrupt: true }` kills at once, like a crash. */
  stop(options?: { abrupt?: boolean }): Promise<void>;
}

/** Process groups still alive; killed synchronously if this process exits without stop(). */
const live = new Set<number>();
process.on('exit', () => {
  for (const pgid of live) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

export function tailLog(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    if (!text) return '    | (empty)';
    return text.split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n');
  } catch {
    return '    | (no log)';
  }
}

function tcpInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

function udpInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => resolve(true));
    sock.bind({ port, address: HOST, exclusive: true }, () => sock.close(() => resolve(false)));
  });
}

/** Throws one error naming every configured port that is already taken, and its component. */
export async function checkPortsFree(ports: Record<string, number>, hint = ''): Promise<void> {
  const entries = Object.entries(ports);
  const udp = (name: string) => /(RTC|TURN)_UDP$/.test(name); // LiveKit's ICE/UDP and TURN/UDP ports
  const busy = await Promise.all(entries.map(([name, port]) => (udp(name) ? udpInUse(port) : tcpInUse(port))));
  const taken = entries.filter((_, i) => busy[i]).map(([name, port]) =>
    `${portOwner(name)} needs ${udp(name) ? 'UDP' : 'TCP'} port ${port} (set MICROCLIMATE_PORT_${name} to use another)`,
  );
  if (taken.length) {
    throw new Error(`Port already in use, nothing was started:\n  - ${taken.join('\n  - ')}${hint}`);
  }
}

export interface SpawnOptions {
  name: string; // used in messages and as the log file name
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Where `<name>.log` goes: .stack/logs unless given (a test's own Redis keeps its log beside its config). */
  logDir?: string;
}

const logsWritten = new Set<string>();

export function startProcess(opts: SpawnOptions): Managed {
  const logDir = opts.logDir ?? LOGS_DIR;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${opts.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.log`);
  // A part restarted through the control socket appends to its log: the crash stays readable.
  const fd = fs.openSync(logFile, logsWritten.has(logFile) ? 'a' : 'w');
  logsWritten.add(logFile);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
    detached: true, // own process group: stop() kills it and all its children
  });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => { /* reported through exitCode/health */ });
  if (child.pid) live.add(child.pid);
  exited.then(() => child.pid && live.delete(child.pid));

  const stop = async (options: { abrupt?: boolean } = {}): Promise<void> => {
    const pgid = child.pid;
    if (!pgid) return;
    const signal = (sig: NodeJS.Signals) => { try { process.kill(-pgid, sig); } catch { /* gone */ } };
    signal(options.abrupt ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    signal('SIGKILL'); // the leader is gone; make sure no grandchild outlives it
    live.delete(pgid);
  };
  return { name: opts.name, child, logFile, stop };
}

/**
 * Polls `check` until it returns true. Throws one clear error if the process dies or the
 * timeout passes, with the tail of the process's log.
 */
export async function waitHealthy(
  proc: Managed | null,
  name: string,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  // The PDS runs in this process and hashes passwords while it starts: on a loaded machine it
  // can block the event loop for seconds, so every check's own timer fires first. One more
  // check after the deadline gives a part that is up a fair chance to answer.
  for (let last = false; ; ) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      const how = proc.child.exitCode !== null ? `code ${proc.child.exitCode}` : `signal ${proc.child.signalCode}`;
      throw new Error(`${name} exited (${how}) before it was ready. Last lines of ${proc.logFile}:\n${tailLog(proc.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline && !last) {
      last = true;
      continue;
    }
    if (last) {
      const logPart = proc ? ` Last lines of ${proc.logFile}:\n${tailLog(proc.logFile)}` : '';
      throw new Error(`${name} was not ready after ${timeoutMs / 1000} s (${what}${lastError ? `: ${lastError}` : ''}).${logPart}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET a URL with a short timeout; returns status and body. */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text() };
}
