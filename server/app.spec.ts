import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import { startServer, serverVersion, type RunningServer } from './app.js';
import { loadConfig } from './config.js';

const dataDir = mkdtempSync(join(tmpdir(), 'microclimate-app-spec-'));
const config = loadConfig({ MICROCLIMATE_GRPC_PORT: '0', MICROCLIMATE_NAME: 'Spec Server', MICROCLIMATE_DATA_DIR: dataDir });
const lines: string[] = [];
let server: RunningServer;

/** A gRPC (always HTTP/2 in connect-node v2) transport to the in-process server that presents `authority` as :authority, as Envoy would. */
function transport(authority = `127.0.0.1:${server.port}`): Transport {
  return createGrpcTransport({
    baseUrl: `http://${authority}`,
    nodeOptions: { createConnection: () => netConnect(server.port, '127.0.0.1') },
  });
}

async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error).code;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = await startServer(config, { log: (line) => lines.push(line) });
});

afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('AuthService.GetServerInfo', () => {
  it('describes the server for the public host the request reached', async () => {
    const info = await createClient(AuthService, transport('127.0.0.1:8080')).getServerInfo({});
    expect(info.name).toBe('Spec Server');
    expect(info.lxm).toBe('app.microclimate.server.createSession');
    expect(info.serviceDid).toBe('did:web:127.0.0.1%3A8080#microclimate');
    expect(info.version).toBe(serverVersion());
    expect(info.limits).toMatchObject({ maxServiceTokenLifetimeSeconds: 300, sessionLifetimeSeconds: 900, maxParticipantsPerChannel: 100 });
  });

  it('answers with the first public host when reached by another name', async () => {
    const info = await createClient(AuthService, transport()).getServerInfo({});
    expect(info.serviceDid).toBe('did:web:localhost%3A8080#microclimate');
  });
});

describe('ChannelsService session check', () => {
  it('refuses a call without a bearer token', async () => {
    const channels = createClient(ChannelsService, transport());
    expect(await codeOf(channels.listChannels({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(channels.getChannelToken({ channelId: 'lobby' }))).toBe(Code.Unauthenticated);
    expect(await codeOf(channels.listChannels({}, { headers: { authorization: 'Basic abc' } }))).toBe(Code.Unauthenticated);
  });

  it('refuses a stream without a bearer token', async () => {
    const stream = createClient(ChannelsService, transport()).watchChannels({});
    expect(await codeOf((async () => { for await (const _ of stream); })())).toBe(Code.Unauthenticated);
  });

  it('refuses a bearer token that this server did not sign', async () => {
    const channels = createClient(ChannelsService, transport());
    const call = channels.listChannels({}, { headers: { authorization: 'Bearer secret.token.value' } });
    expect(await codeOf(call)).toBe(Code.Unauthenticated);
  });

  it('CreateSession refuses a token that is not a service token', async () => {
    expect(await codeOf(createClient(AuthService, transport()).createSession({ serviceToken: 'secret.token.value' }))).toBe(Code.Unauthenticated);
  });

  it('CreateSession needs a token', async () => {
    expect(await codeOf(createClient(AuthService, transport()).createSession({}))).toBe(Code.InvalidArgument);
  });
});

describe('request log', () => {
  it('writes one JSON line per call with level, component, procedure, code, duration and peer, and never a token', () => {
    // Request lines only; start-up events (e.g. "livekit_not_configured") have their own shape.
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'rpc');
    expect(records.length).toBeGreaterThanOrEqual(8);
    for (const r of records) {
      // No request_id: these calls come straight to the server, not through Envoy.
      expect(Object.keys(r).sort()).toEqual(['code', 'component', 'duration_ms', 'level', 'msg', 'peer', 'procedure', 'time']);
      expect(r.component).toBe('rpc');
      expect(r.level).toBe(r.code === 'ok' ? 'info' : 'warn');
      expect(typeof r.duration_ms).toBe('number');
      expect(r.peer).toBe('127.0.0.1');
    }
    expect(records[0]).toMatchObject({ procedure: '/microclimate.auth.v1.AuthService/GetServerInfo', code: 'ok' });
    expect(records.some((r) => r.procedure === '/microclimate.channels.v1.ChannelsService/ListChannels' && r.code === 'unauthenticated')).toBe(true);
    expect(lines.join('\n')).not.toContain('secret');
  });
});

describe('ChannelsService with a session', () => {
  it('lists the configured channels to a caller whose session checks out', async () => {
    const trusting = await startServer(config, {
      log: () => {},
      verifySession: async (token) => {
        if (token !== 'good.session.token') throw new ConnectError('session token is not valid', Code.Unauthenticated);
        return { did: 'did:plc:alice', handle: 'alice.test', expiresAt: Math.floor(Date.now() / 1000) + 60 };
      },
    });
    try {
      const client = createClient(
        ChannelsService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${trusting.port}` }),
      );
      const res = await client.listChannels({}, { headers: { authorization: 'Bearer good.session.token' } });
      expect(res.channels.map((c) => c.name)).toEqual(['Lobby', 'Music', 'Quiet room']);
    } finally {
      await trusting.close();
    }
  });
});
