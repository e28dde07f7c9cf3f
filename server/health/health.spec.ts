// grpc.health.v1 and the drain on SIGTERM: health turns NOT_SERVING, new streams are
// refused cleanly, a unary call already in flight still gets its answer, then the server stops.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { describe, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../../src/lib/gen/grpc/health/v1/health_pb.js';
import { ALICE, authed, startVoiceServer, watchStream } from '../voice/testing.js';

const SLOW = { headers: { authorization: 'Bearer slow.session.token' } };

async function drainingServer() {
  const t = await startVoiceServer(
    { MICROCLIMATE_DRAIN_MS: '300' },
    {
      // A session check that takes a while for one token: a unary call that is in flight.
      verifySession: async (token) => {
        if (token === 'slow.session.token') await new Promise((resolve) => setTimeout(resolve, 800));
        else if (token !== 'good.session.token') throw new ConnectError('session token is not valid', Code.Unauthenticated);
        return { ...ALICE, expiresAt: Math.floor(Date.now() / 1000) + 60 };
      },
    },
  );
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${t.server.port}` }));
  return { ...t, health };
}

describe('grpc.health.v1', () => {
  it('Check says SERVING for the server and each API service, without a session; NOT_FOUND for others', async () => {
    const t = await drainingServer();
    try {
      for (const service of ['', 'microclimate.auth.v1.AuthService', 'microclimate.channels.v1.ChannelsService']) {
        expect((await t.health.check({ service })).status).toBe(Status.SERVING);
      }
      await expect(t.health.check({ service: 'no.such.Service' })).rejects.toMatchObject({ code: Code.NotFound });
      expect(Object.keys((await t.health.list({})).statuses).sort()).toEqual(['', 'microclimate.auth.v1.AuthService', 'microclimate.channels.v1.ChannelsService']);
    } finally {
      await t.server.close();
    }
  });

  it('the drain: Watch turns NOT_SERVING, new streams get UNAVAILABLE, an in-flight unary call finishes, then the server stops', async () => {
    const t = await drainingServer();
    const abort = new AbortController();
    const statuses: Status[] = [];
    const watching = (async () => {
      try {
        for await (const res of t.health.watch({ service: '' }, { signal: abort.signal })) statuses.push(res.status);
      } catch {
        // ends when the server closes
      }
    })();
    await expect.poll(() => statuses).toEqual([Status.SERVING]);

    const inFlight = t.client.listChannels({}, SLOW);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const drained = t.server.drain();
    await expect.poll(() => statuses).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect((await t.health.check({ service: '' })).status).toBe(Status.NOT_SERVING);

    const refused = watchStream(t.client);
    expect(await refused.ended).toMatchObject({ code: Code.Unavailable });
    expect((await t.client.listChannels({}, authed)).channels).toHaveLength(3); // unary still served while draining

    expect((await inFlight).channels).toHaveLength(3);
    await drained;
    abort.abort();
    await watching;
    await expect(t.health.check({ service: '' })).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
