// Test support for the voice specs (not used by the server): an in-process server with a
// faked session check, webhooks signed the way LiveKit signs them, and a WatchChannels reader.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AccessToken, WebhookEvent } from 'livekit-server-sdk';
import { ChannelsService, type WatchChannelsResponse } from '../../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import { startServer, type AppOptions, type RunningServer } from '../app.js';
import { loadConfig } from '../config.js';

export const TEST_KEY = 'spec-key';
export const TEST_SECRET = 'spec-secret-that-is-long-enough-for-hs256-0123456789';
export const GOOD_TOKEN = 'good.session.token';
export const ALICE = { did: 'did:plc:alice', handle: 'alice.test' };

/** A server whose session check accepts GOOD_TOKEN as alice; LiveKit configured at `livekitUrl`. */
export async function startVoiceServer(env: Record<string, string> = {}, options: AppOptions = {}) {
  const lines: string[] = [];
  const config = loadConfig({
    MICROCLIMATE_GRPC_PORT: '0',
    MICROCLIMATE_WEBHOOK_PORT: '0',
    MICROCLIMATE_DATA_DIR: mkdtempSync(join(tmpdir(), 'microclimate-voice-spec-')),
    // Nothing listens on port 9: the sync fails and backs off, webhooks are the only source.
    MICROCLIMATE_LIVEKIT_URL: 'ws://127.0.0.1:9',
    MICROCLIMATE_LIVEKIT_API_KEY: TEST_KEY,
    MICROCLIMATE_LIVEKIT_API_SECRET: TEST_SECRET,
    ...env,
  });
  const server: RunningServer = await startServer(config, {
    log: (line) => lines.push(line),
    verifySession: async (token) => {
      if (token !== GOOD_TOKEN) throw new ConnectError('session token is not valid', Code.Unauthenticated);
      return { ...ALICE, expiresAt: Math.floor(Date.now() / 1000) + 60 };
    },
    ...options,
  });
  const client = createClient(ChannelsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
  return { server, client, config, lines };
}

export const authed = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };

/** The Authorization header LiveKit sends: a JWT from the API key whose sha256 claim is the body's base64 SHA-256. */
export async function signWebhook(body: string, key = TEST_KEY, secret = TEST_SECRET): Promise<string> {
  const token = new AccessToken(key, secret, { ttl: 300 });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

let eventCounter = 0;
/** A webhook body as LiveKit posts it (protobuf JSON of livekit.WebhookEvent). */
export function webhookBody(init: ConstructorParameters<typeof WebhookEvent>[0]): string {
  const event = new WebhookEvent({ id: `EV_spec${++eventCounter}`, createdAt: BigInt(Math.floor(Date.now() / 1000)), ...init });
  // The SDK's subclass resets `event` to "" after the constructor took it: set it again.
  if (init?.event) event.event = init.event as WebhookEvent['event'];
  return event.toJsonString();
}

export async function postWebhook(port: number, body: string, authorization?: string, path = '/livekit/webhook') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/webhook+json', ...(authorization ? { authorization } : {}) },
    body,
  });
  return res.status;
}

/** Reads a WatchChannels stream in the background; next() waits for the following message. */
export function watchStream(client: Client<typeof ChannelsService>) {
  const abort = new AbortController();
  const received: WatchChannelsResponse[] = [];
  let waiter: (() => void) | undefined;
  let read = 0;
  const ended = (async () => {
    try {
      for await (const message of client.watchChannels({}, { ...authed, signal: abort.signal })) {
        received.push(message);
        waiter?.();
      }
      return undefined;
    } catch (error) {
      return ConnectError.from(error);
    } finally {
      waiter?.();
    }
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    received,
    ended,
    cancel: () => abort.abort(),
    /** The next message that is not a heartbeat (the server sends one after each snapshot, and every heartbeatMs). */
    async next(timeoutMs = 3000): Promise<WatchChannelsResponse> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (received.length <= read) {
          if (done || Date.now() > deadline) throw new Error(`no stream message #${read} within ${timeoutMs} ms`);
          await new Promise<void>((resolve) => {
            waiter = resolve;
            setTimeout(resolve, 50);
          });
        }
        const message = received[read++]!;
        if (message.event.case !== 'heartbeat') return message;
      }
    },
  };
}
