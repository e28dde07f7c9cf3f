// Redis failing under a running server: every call that needs it answers UNAVAILABLE (never
// INTERNAL, never a crash), health says NOT_SERVING, LiveKit's webhooks get 503 (it retries),
// and once redis-server is started again everything works without restarting the server.
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../src/lib/gen/grpc/health/v1/health_pb.js';
import { ALICE, authed, postWebhook, signWebhook, startVoiceServer, watchStream, webhookBody } from '../voice/testing.js';
import { startTestRedis, type TestRedis } from './testing-redis.js';

let redis: TestRedis;
let t: Awaited<ReturnType<typeof startVoiceServer>>;
let other: Awaited<ReturnType<typeof startVoiceServer>>; // a second replica on the same Redis
let health: ReturnType<typeof createClient<typeof Health>>;

beforeAll(async () => {
  redis = await startTestRedis();
  // The server opens the Redis store itself, from its configuration, as in production.
  t = await startVoiceServer({ MICROCLIMATE_REDIS_URL: redis.url, MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL: '5' });
  other = await startVoiceServer({ MICROCLIMATE_REDIS_URL: redis.url });
  health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${t.server.port}` }));
});
afterAll(async () => {
  await Promise.all([t?.server.close(), other?.server.close()]);
  await redis?.stop();
});

const joined = (sid: string) =>
  webhookBody({ event: 'participant_joined', room: { name: 'lobby' }, participant: { sid, identity: ALICE.did, name: ALICE.handle, state: 1 } });
const post = async (body: string, port = t.server.webhookPort!) => postWebhook(port, body, await signWebhook(body));
const status = async () => (await health.check({ service: '' })).status;

describe('Redis stopped and started again under a running server', () => {
  it('answers UNAVAILABLE and NOT_SERVING while Redis is down, and recovers by itself', async () => {
    expect(await status()).toBe(Status.SERVING);
    expect((await t.client.getChannelToken({ channelId: 'lobby' }, authed)).token).not.toBe('');
    const watcher = watchStream(t.client);
    expect((await watcher.next()).event.case).toBe('snapshot');

    await redis.stop();
    await expect.poll(status).toBe(Status.NOT_SERVING);
    await expect(t.client.getChannelToken({ channelId: 'lobby' }, authed)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(await watchStream(t.client).ended).toMatchObject({ code: Code.Unavailable });
    expect(await post(joined('PA_o1'))).toBe(503);
    expect(t.lines.some((l) => l.includes('"store_unavailable"'))).toBe(true);
    expect(t.lines.join('\n')).not.toContain(redis.url); // the password never reaches the log

    await redis.start();
    await expect.poll(status, { timeout: 10_000 }).toBe(Status.SERVING);
    expect((await t.client.getChannelToken({ channelId: 'lobby' }, authed)).token).not.toBe('');
    // The stream opened before the outage still hears what another replica is told: the
    // pub/sub subscription was made again on reconnection.
    await expect.poll(async () => (await health.check({ service: '' })).status).toBe(Status.SERVING);
    await expect.poll(() => post(joined('PA_o2'), other.server.webhookPort!), { timeout: 10_000 }).toBe(200);
    expect((await watcher.next()).event).toEqual({
      case: 'joined',
      value: expect.objectContaining({ channelId: 'lobby', participant: expect.objectContaining({ did: ALICE.did }) }),
    });
    watcher.cancel();
  });

  it('a replica started while Redis is down comes up NOT_SERVING and starts serving once Redis answers', async () => {
    await redis.stop();
    const late = await startVoiceServer({ MICROCLIMATE_REDIS_URL: redis.url });
    try {
      const lateHealth = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${late.server.port}` }));
      expect((await lateHealth.check({ service: '' })).status).toBe(Status.NOT_SERVING);
      // The people-per-channel cap (100 by default) is counted in the store: while Redis is
      // down a join is refused as retryable, never admitted uncounted.
      await expect(late.client.getChannelToken({ channelId: 'lobby' }, authed)).rejects.toMatchObject({ code: Code.Unavailable });
      expect(await watchStream(late.client).ended).toMatchObject({ code: Code.Unavailable });
      await redis.start();
      await expect.poll(async () => (await lateHealth.check({ service: '' })).status, { timeout: 10_000 }).toBe(Status.SERVING);
      const watcher = watchStream(late.client);
      expect((await watcher.next()).event.case).toBe('snapshot');
      watcher.cancel();
    } finally {
      await late.server.close();
    }
  });
});
