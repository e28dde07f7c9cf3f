// Against the real LiveKit server binary on free random ports, with a config of the test's
// own (loopback settings as in deploy/livekit.yaml, keys and webhook URL of the test).
// A "person" here joins with LiveKit's signalling WebSocket only: that makes a real, JOINED
// participant in LiveKit (no media, which Node cannot do; the browser e2e tests prove that).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { ensureLiveKit } from '../../scripts/stack/tools.js';
import { ALICE, authed, startVoiceServer, TEST_KEY, TEST_SECRET, watchStream } from './testing.js';

let bin: string;
const BOB = 'did:plc:bob';

const freeTcp = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const freeUdp = () =>
  new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let livekit: ChildProcess | undefined;
let httpPort = 0;
let rooms: RoomServiceClient;
let t: Awaited<ReturnType<typeof startVoiceServer>> | undefined;
const sockets: WebSocket[] = [];
const killLiveKit = () => {
  if (!livekit?.pid || livekit.exitCode !== null || livekit.signalCode !== null) return;
  try {
    process.kill(-livekit.pid, 'SIGKILL'); // its whole process group
  } catch {
    // already gone
  }
};

/** Joins a room through LiveKit's signalling WebSocket; resolves once LiveKit answered the join. */
async function signalJoin(token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/rtc?access_token=${token}&protocol=15&sdk=js&version=2.23.0&auto_subscribe=1`);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = () => resolve();
    ws.onerror = () => reject(new Error('signalling WebSocket failed'));
  });
  return ws;
}

async function tokenFor(identity: string, room: string): Promise<string> {
  const at = new AccessToken(TEST_KEY, TEST_SECRET, { identity, name: `${identity}-name`, ttl: 60 });
  at.addGrant({ roomJoin: true, room });
  return at.toJwt();
}

beforeAll(async () => {
  // The stack's own install step: reuses .tools/livekit, or builds it on a fresh machine.
  bin = await ensureLiveKit();
  expect(fs.existsSync(bin), `LiveKit binary missing at ${bin}`).toBe(true);
  const [rtcTcp, rtcUdp, webhook] = [await freeTcp(), await freeUdp(), await freeTcp()];
  httpPort = await freeTcp();
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'microclimate-livekit-spec-'));
  const config = path.join(dir, 'livekit.yaml');
  fs.writeFileSync(
    config,
    [
      `port: ${httpPort}`,
      'bind_addresses: [127.0.0.1]',
      'rtc:',
      `  tcp_port: ${rtcTcp}`,
      `  udp_port: ${rtcUdp}`,
      '  node_ip: 127.0.0.1',
      '  use_external_ip: false',
      '  enable_loopback_candidate: true',
      '  ips:',
      '    includes: [127.0.0.1/32]',
      'keys:',
      `  ${TEST_KEY}: ${TEST_SECRET}`,
      'webhook:',
      `  api_key: ${TEST_KEY}`,
      `  urls: [http://127.0.0.1:${webhook}/livekit/webhook]`,
      'logging:',
      '  level: warn',
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'livekit.log'), 'w');
  livekit = spawn(bin, ['--config', config], { detached: true, stdio: ['ignore', log, log] });
  process.once('exit', killLiveKit); // even if the worker dies, no LiveKit is left behind
  for (let i = 0; ; i++) {
    if (livekit.exitCode !== null) throw new Error(`LiveKit exited: ${fs.readFileSync(path.join(dir, 'livekit.log'), 'utf8').slice(-500)}`);
    if (await fetch(`http://127.0.0.1:${httpPort}/`).then((r) => r.ok, () => false)) break;
    if (i > 100) throw new Error('LiveKit did not become healthy within 10 s');
    await sleep(100);
  }
  rooms = new RoomServiceClient(`http://127.0.0.1:${httpPort}`, TEST_KEY, TEST_SECRET);

  // Already there before the API server starts: found by the start-up sync, or ignored.
  await rooms.createRoom({ name: 'lobby', emptyTimeout: 60 });
  await rooms.createRoom({ name: 'someone-elses-room', emptyTimeout: 60 });
  await signalJoin(await tokenFor(BOB, 'lobby'));
  await signalJoin(await tokenFor('agent-1', 'lobby'));
  await signalJoin(await tokenFor('did:plc:mallory', 'someone-elses-room'));

  t = await startVoiceServer({
    MICROCLIMATE_LIVEKIT_URL: `ws://127.0.0.1:${httpPort}`,
    MICROCLIMATE_WEBHOOK_PORT: String(webhook),
    MICROCLIMATE_RECONCILE_INTERVAL_MS: '200',
  });
}, 900_000); // a fresh machine builds LiveKit here first (minutes)

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await t?.server.close();
  killLiveKit();
});

describe('occupancy from a real LiveKit server', () => {
  it('the start-up sync finds who is already in a channel, ignoring other rooms and non-DID identities', async () => {
    const stream = watchStream(t!.client);
    try {
      const people = () => t!.server.occupancy.snapshot().map((c) => [c.channelId, c.participants.map((p) => p.did)]);
      for (let i = 0; i < 40 && t!.server.occupancy.count('lobby') === 0; i++) await sleep(50);
      expect(people()).toEqual([['lobby', [BOB]], ['music', []], ['quiet-room', []]]);
      expect(t!.server.occupancy.participants('lobby')).toEqual([{ did: BOB, handle: `${BOB}-name`, muted: true }]);
    } finally {
      stream.cancel();
    }
  });

  it('a join with a GetChannelToken token shows up on WatchChannels as the DID and handle; leaving removes them', async () => {
    const stream = watchStream(t!.client);
    try {
      expect((await stream.next()).event.case).toBe('snapshot');
      const pass = await t!.client.getChannelToken({ channelId: 'music' }, authed);
      expect(pass.livekitUrl).toBe(`ws://127.0.0.1:${httpPort}`);
      const ws = await signalJoin(pass.token);

      const joined = await nextChange(stream);
      expect(joined).toEqual({ case: 'joined', value: expect.objectContaining({ channelId: 'music', participant: expect.objectContaining({ ...ALICE, muted: true }) }) });
      const [inLiveKit] = await rooms.listParticipants('music');
      expect([inLiveKit?.identity, inLiveKit?.name]).toEqual([ALICE.did, ALICE.handle]);

      const started = Date.now();
      ws.close();
      expect(await nextChange(stream)).toEqual({ case: 'left', value: expect.objectContaining({ channelId: 'music', did: ALICE.did }) });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      stream.cancel();
    }
  });

  it("LiveKit's own webhooks pass the signature check and are applied", () => {
    expect(t!.lines.filter((l) => l.includes('webhook_refused'))).toEqual([]);
    // The version counts live (webhook) changes only; the reconciliation does not bump it.
    const events = t!.lines.filter((l) => l.includes('"msg":"webhook"')).map((l) => (JSON.parse(l) as { event: string }).event);
    // A signalling-only join never becomes ACTIVE, so LiveKit sends no participant_joined; its end it does report.
    expect(events).toEqual(expect.arrayContaining(['room_started', 'participant_connection_aborted']));
    expect(t!.server.occupancy.version('music')).toBeGreaterThan(0);
  });

  it('LiveKit going away does not crash the server: the last known list stays and the outage is logged once', async () => {
    killLiveKit();
    await sleep(1500);
    const res = await t!.client.listChannels({}, authed);
    expect(res.channels.map((c) => c.participants.length)).toEqual([1, 0, 0]);
    expect(t!.lines.filter((l) => l.includes('livekit_sync_failed'))).toHaveLength(1);
  });
});

/** The next event that is not a heartbeat (watchStream's next() passes over those). */
async function nextChange(stream: ReturnType<typeof watchStream>) {
  return (await stream.next(4000)).event;
}
