// The metrics move where things happen: each test does the real thing (a sign-in, a stream,
// a webhook, a store call, a profile read) against the real code, and reads the figure from
// the registry Prometheus scrapes. Figures are process-wide, so each test compares before/after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '@connectrpc/connect';
import { Secp256k1Keypair } from '@atproto/crypto';
import type { IdResolver } from '@atproto/identity';
import { createServiceJwt } from '@atproto/xrpc-server';
import { loadConfig } from '../config.js';
import { serviceDidRef } from '../did-web.js';
import { countedRead } from '../identity/profiles.js';
import type { Identity } from '../identity/resolver.js';
import { createSessionAuthority } from '../session-authority.js';
import { MemoryStore } from '../store/memory.js';
import { withFaults } from '../store/testing-stores.js';
import { authed, postWebhook, signWebhook, startVoiceServer, watchStream, webhookBody, ALICE } from '../voice/testing.js';
import { measuredStore } from './measured-store.js';
import { registry } from './registry.js';
import { serveMetrics } from './serve.js';

/** The current value of one series (0 when it does not exist yet). */
async function figure(name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum)$/, '');
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) => ((v as { metricName?: string }).metricName ?? name) === name && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found?.value ?? 0;
}

/** Runs `act` and returns how much each named series moved. */
async function moved(series: [string, Record<string, string>?][], act: () => Promise<unknown>): Promise<number[]> {
  const before = await Promise.all(series.map(([n, l]) => figure(n, l)));
  await act();
  const after = await Promise.all(series.map(([n, l]) => figure(n, l)));
  return after.map((a, i) => a - before[i]!);
}

describe('sign-ins', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'microclimate-metrics-spec-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ MICROCLIMATE_DATA_DIR: dataDir, MICROCLIMATE_SIGN_IN_RATE_LIMIT: '2' });
  const did = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';

  async function setUp() {
    const key = await Secp256k1Keypair.create();
    const identity = {
      idResolver: { did: { resolveAtprotoKey: async () => key.did(), resolve: async () => null }, handle: { resolve: async () => undefined } } as unknown as IdResolver,
      resolveHandle: async () => undefined,
      fetch: globalThis.fetch,
    } satisfies Identity;
    const authority = await createSessionAuthority(config, new MemoryStore(), identity);
    const token = (lxm = config.lxm) => createServiceJwt({ iss: did, aud: serviceDidRef(config.publicHosts[0]!), lxm, keypair: key });
    return { authority, token };
  }

  it('counts a sign-in, a renewal, a refused token by its reason, and a rate-limited attempt', async () => {
    const { authority, token } = await setUp();
    let session: { token: string } | undefined;
    expect(await moved([['microclimate_sign_ins_total', { kind: 'sign_in', result: 'ok' }]], async () => (session = await authority.signIn(await token(), '192.0.2.7')))).toEqual([1]);
    expect(
      await moved([['microclimate_sign_ins_total', { kind: 'renewal', result: 'ok' }]], async () => authority.signIn(await token(), '192.0.2.7', session!.token)),
    ).toEqual([1]);
    const wrongLxm = await token('com.example.other');
    expect(
      await moved(
        [
          ['microclimate_sign_ins_total', { kind: 'sign_in', result: 'refused' }],
          ['microclimate_service_token_refusals_total', { reason: 'bad_lxm' }],
        ],
        () => authority.signIn(wrongLxm, '192.0.2.7').catch((e: unknown) => expect(e).toBeInstanceOf(ConnectError)),
      ),
    ).toEqual([1, 1]);
    // The address's budget (2 a minute) is spent: the third attempt from it is rate limited.
    expect(
      await moved([['microclimate_sign_ins_total', { kind: 'sign_in', result: 'rate_limited' }]], async () =>
        authority.signIn(await token(), '192.0.2.7').catch((e: unknown) => expect(ConnectError.from(e).rawMessage).toMatch(/too many/)),
      ),
    ).toEqual([1]);
  });
});

describe('a running server', () => {
  let t: Awaited<ReturnType<typeof startVoiceServer>>;
  beforeAll(async () => {
    t = await startVoiceServer({ MICROCLIMATE_MAX_STREAMS_PER_DID: '1' });
  });
  afterAll(async () => {
    await t.server.close();
  });

  it('counts open WatchChannels streams and a per-account cap hit', async () => {
    const first = watchStream(t.client);
    let second: ReturnType<typeof watchStream> | undefined;
    try {
      expect(
        await moved(
          [['microclimate_watch_streams_open'], ['microclimate_watch_stream_cap_hits_total', { limit: 'per_account' }]],
          async () => {
            await first.next();
            second = watchStream(t.client);
            expect((await second.ended)?.rawMessage).toMatch(/already has 1 live channel list/);
          },
        ),
      ).toEqual([1, 1]);
    } finally {
      first.cancel();
      second?.cancel();
    }
    await expect.poll(() => figure('microclimate_watch_streams_open')).toBe(0);
  });

  it('counts a verified webhook with its lag, a forged one, the people in a channel and a join token', async () => {
    const body = webhookBody({ event: 'participant_joined', room: { name: 'lobby' }, participant: { sid: 'PA_m1', identity: ALICE.did, name: ALICE.handle, state: 1 } });
    expect(
      await moved(
        [['microclimate_livekit_webhooks_total', { result: 'applied' }], ['microclimate_livekit_webhook_lag_seconds_count'], ['microclimate_channel_participants', { channel: 'lobby' }]],
        async () => expect(await postWebhook(t.server.webhookPort!, body, await signWebhook(body))).toBe(200),
      ),
    ).toEqual([1, 1, 1]);
    const forged = await signWebhook(body, 'spec-key', 'another-secret-that-is-long-enough-for-hs256-000');
    expect(await moved([['microclimate_livekit_webhook_signature_refusals_total']], async () => expect(await postWebhook(t.server.webhookPort!, body, forged)).toBe(401))).toEqual([1]);
    expect(
      await moved([['microclimate_channel_tokens_issued_total', { channel: 'music' }]], () => t.client.getChannelToken({ channelId: 'music' }, authed)),
    ).toEqual([1]);
    await t.server.occupancy.clear('lobby');
  });

  it("times its store's operations", async () => {
    const [timed] = await moved([['microclimate_store_operation_seconds_count', { store: 'memory', operation: 'setIfAbsent' }]], async () => {
      const body = webhookBody({ event: 'room_finished', room: { name: 'lobby' } });
      expect(await postWebhook(t.server.webhookPort!, body, await signWebhook(body))).toBe(200); // its id is remembered
    });
    expect(timed).toBe(1);
  });
});

describe('the store', () => {
  it('counts an operation that cannot reach it, and reports it unavailable', async () => {
    const faulty = withFaults(new MemoryStore(), ['add']);
    const store = measuredStore(faulty.store, 'redis');
    faulty.failing = true;
    expect(
      await moved([['microclimate_store_errors_total', { store: 'redis', operation: 'add', error: 'unavailable' }]], () =>
        store.add('k', 1, { ttlMs: 1000 }).catch((e: unknown) => expect((e as Error).name).toBe('StoreUnavailableError')),
      ),
    ).toEqual([1]);
    expect(await figure('microclimate_store_available', { store: 'redis' })).toBe(1);
  });
});

describe('profile reads', () => {
  it('counts a read, a timeout and a failure', async () => {
    expect(
      await moved(
        [
          ['microclimate_profile_fetches_total', { result: 'ok' }],
          ['microclimate_profile_fetches_total', { result: 'timeout' }],
          ['microclimate_profile_fetches_total', { result: 'error' }],
        ],
        async () => {
          await countedRead(Promise.resolve({ handle: undefined, displayName: '', avatarUrl: '' }));
          await countedRead(Promise.reject(new DOMException('slow', 'TimeoutError'))).catch(() => undefined);
          await countedRead(Promise.reject(new Error('the PDS answered 500'))).catch(() => undefined);
        },
      ),
    ).toEqual([1, 1, 1]);
  });
});

describe('the metrics listener', () => {
  it('serves the figures and the process metrics in Prometheus text, and nothing else', async () => {
    const listener = await serveMetrics(0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      for (const name of ['microclimate_sign_ins_total', 'microclimate_watch_streams_open', 'microclimate_store_operation_seconds', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
        expect(text).toContain(`# TYPE ${name}`);
      }
      expect((await fetch(`http://127.0.0.1:${listener.port}/`)).status).toBe(404);
    } finally {
      await listener.close();
    }
  });
});
