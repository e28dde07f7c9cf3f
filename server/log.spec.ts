// The log writer and the request log: JSON lines an operator can filter, the request id that
// ties a call to Envoy's access log, and nothing replayable even when a caller hands it over.
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { Health } from '../src/lib/gen/grpc/health/v1/health_pb.js';
import { REDACTED, logEvent, logRequests } from './log.js';

// A JWT's shape (header.payload.signature, base64url); not a real token.
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJkaWQ6cGxjOmFsaWNlIn0.c2lnbmF0dXJlLWJ5dGVz';

function capture(): { lines: Record<string, unknown>[]; write: (line: string) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

describe('logEvent', () => {
  it('writes time, level, component and msg first, with the level and component of the event', () => {
    const { lines, write } = capture();
    logEvent(write, 'store_unavailable', { store: 'redis' });
    logEvent(write, 'listening', { port: 1 });
    expect(Object.keys(lines[0] ?? {}).slice(0, 4)).toEqual(['time', 'level', 'component', 'msg']);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'store', store: 'redis' });
    expect(lines[1]).toMatchObject({ level: 'info', component: 'server', port: 1 });
  });

  it('never writes a field named like a secret, nor a JWT anywhere in a value', () => {
    const { lines, write } = capture();
    logEvent(write, 'webhook_refused', {
      token: JWT,
      sessionToken: 'opaque',
      authorization: `Bearer ${JWT}`,
      password: 'hunter2',
      apiSecret: 's3cret',
      nested: { service_token: 'x', list: [`failed for ${JWT}`] },
      reason: `jwt ${JWT} expired`,
    });
    const text = JSON.stringify(lines);
    for (const secret of [JWT, 'opaque', 'hunter2', 's3cret']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ token: REDACTED, password: REDACTED, reason: `jwt ${REDACTED} expired`, nested: { service_token: REDACTED, list: [`failed for ${REDACTED}`] } });
  });
});

describe('logRequests', () => {
  const transport = (write: (line: string) => void) =>
    createRouterTransport(({ service }) => service(Health, { check: () => ({}) }), { router: { interceptors: [logRequests(write)] } });

  it('logs the x-request-id Envoy set, with the method, code and duration', async () => {
    const { lines, write } = capture();
    await createClient(Health, transport(write)).check({}, { headers: { 'x-request-id': '5f0c2b9e-1d4a-4c3e-9a63-2f1f3d1b7c11', authorization: `Bearer ${JWT}` } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'rpc', component: 'rpc', level: 'info', request_id: '5f0c2b9e-1d4a-4c3e-9a63-2f1f3d1b7c11', procedure: '/grpc.health.v1.Health/Check', code: 'ok' });
    expect(typeof lines[0]?.duration_ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(JWT);
  });

  it('leaves out a request id that does not look like one', async () => {
    const { lines, write } = capture();
    await createClient(Health, transport(write)).check({}, { headers: { 'x-request-id': `{"a":"${'x'.repeat(200)}"}` } });
    expect(lines[0]?.request_id).toBeUndefined();
  });
});
