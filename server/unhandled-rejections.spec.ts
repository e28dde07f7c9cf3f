// The backstop in a real process: a promise nobody awaited rejects (as a dropped Redis write
// would), and the process logs it, counts it and lives on, instead of Node's default exit.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs `body` as an ES module in a child Node (with tsx); resolves with its exit code and stdout. */
function run(body: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

const DROPPED_WRITES = `
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED redis://:hunter2@127.0.0.1:6379'));
  fail(); fail(); // nobody awaits them
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log('still alive');
`;

describe('unhandled rejections', () => {
  it('are logged (without secrets) and counted by the backstop; the process lives on', async () => {
    const { code, out } = await run(`
      import { catchUnhandledRejections } from './server/unhandled-rejections.ts';
      import { stdoutWriter } from './server/log.ts';
      const backstop = catchUnhandledRejections(stdoutWriter);
      ${DROPPED_WRITES}
      console.log('count', backstop.count);
    `);
    expect(code).toBe(0);
    const logged = out.split('\n').filter((l) => l.includes('"msg":"unhandled_rejection"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toMatchObject([
      { count: 1, error: 'Error', message: 'connect ECONNREFUSED redis://…@127.0.0.1:6379' },
      { count: 2, error: 'Error' },
    ]);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('still alive\ncount 2');
  }, 60_000);

  it('without it, Node ends the process (why the server installs it)', async () => {
    const { code, out } = await run(DROPPED_WRITES);
    expect(code).toBe(1);
    expect(out).not.toContain('still alive');
  }, 60_000);
});
