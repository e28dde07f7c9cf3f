import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CHANNELS, loadConfig } from './config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/mc');

function errorOf(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('runs with an empty environment', () => {
    const c = load({});
    expect(c.name).toBe('Microclimate Local');
    expect(c.grpcPort).toBe(9051);
    expect(c.bind).toBe('127.0.0.1');
    expect(c.publicHosts).toEqual(['localhost:8080', '127.0.0.1:8080']);
    expect(c.lxm).toBe('app.microclimate.server.createSession');
    expect(c.dev).toBe(false);
    expect(c.plcUrl).toBe('https://plc.directory');
    expect(c.dataDir).toBe('/srv/mc/.stack/server');
    expect(c.sessionTtlSeconds).toBe(900);
    expect(c.maxServiceTokenLifetimeSeconds).toBe(300);
    expect(c.maxParticipantsPerChannel).toBe(100);
    expect(c.livekit).toEqual({ url: undefined, apiKey: undefined, apiSecret: undefined });
    expect(c.channels).toEqual(DEFAULT_CHANNELS);
    expect(c.channels.map((ch) => ch.id)).toEqual(['lobby', 'music', 'quiet-room']);
    expect(c.webhookPort).toBe(9052);
    expect(c.channelTokenTtlSeconds).toBe(300);
    expect(c.reconcileIntervalMs).toBe(1000);
    expect(c.metricsPort).toBeUndefined(); // no metrics listener unless asked for
  });

  it('has limits for sign-ins, renewals and live channel lists', () => {
    const c = load({});
    expect([c.signInRateLimit, c.renewalRateLimit, c.maxStreamsPerDid, c.maxStreams]).toEqual([20, 30, 8, 4000]);
    const set = load({ MICROCLIMATE_RENEWAL_RATE_LIMIT: '5', MICROCLIMATE_MAX_STREAMS_PER_DID: '2', MICROCLIMATE_MAX_STREAMS: '100' });
    expect([set.renewalRateLimit, set.maxStreamsPerDid, set.maxStreams]).toEqual([5, 2, 100]);
    expect(errorOf({ MICROCLIMATE_MAX_STREAMS_PER_DID: '0' }).message).toBe('MICROCLIMATE_MAX_STREAMS_PER_DID: expected 1..10000, got 0');
    expect(errorOf({ MICROCLIMATE_MAX_STREAMS: 'lots' }).variable).toBe('MICROCLIMATE_MAX_STREAMS');
  });

  it('treats blank values as unset', () => {
    expect(load({ MICROCLIMATE_GRPC_PORT: '  ', MICROCLIMATE_NAME: '' }).grpcPort).toBe(9051);
  });
});

describe('loadConfig values', () => {
  it('reads every variable', () => {
    const c = load({
      MICROCLIMATE_NAME: 'Test',
      MICROCLIMATE_GRPC_PORT: '0',
      MICROCLIMATE_BIND: '0.0.0.0',
      MICROCLIMATE_PUBLIC_HOSTS: ' Voice.Example.com , localhost:8443,voice.example.com',
      MICROCLIMATE_DEV: '1',
      MICROCLIMATE_PLC_URL: 'http://127.0.0.1:2582/',
      MICROCLIMATE_DATA_DIR: '/var/lib/mc',
      MICROCLIMATE_SESSION_TTL_SECONDS: '600',
      MICROCLIMATE_MAX_SERVICE_TOKEN_LIFETIME_SECONDS: '60',
      MICROCLIMATE_LIVEKIT_URL: 'ws://127.0.0.1:7880',
      MICROCLIMATE_LIVEKIT_API_KEY: 'key',
      MICROCLIMATE_LIVEKIT_API_SECRET: 'secret',
      MICROCLIMATE_CHANNELS: '[{"id":"general","name":" General "},{"id":"stage","name":"Stage","max":20}]',
      MICROCLIMATE_WEBHOOK_PORT: '0',
      MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS: '60',
      MICROCLIMATE_RECONCILE_INTERVAL_MS: '250',
      MICROCLIMATE_METRICS_PORT: '9054',
    });
    expect(c.metricsPort).toBe(9054);
    expect(c.webhookPort).toBe(0);
    expect(c.channelTokenTtlSeconds).toBe(60);
    expect(c.reconcileIntervalMs).toBe(250);
    expect(c.grpcPort).toBe(0);
    expect(c.publicHosts).toEqual(['voice.example.com', 'localhost:8443']);
    expect(c.dev).toBe(true);
    expect(c.plcUrl).toBe('http://127.0.0.1:2582');
    expect(c.dataDir).toBe('/var/lib/mc');
    expect(c.livekit.url).toBe('ws://127.0.0.1:7880');
    expect(c.channels).toEqual([{ id: 'general', name: 'General' }, { id: 'stage', name: 'Stage', max: 20 }]);
  });
});

describe('loadConfig refuses bad values, naming the variable', () => {
  const cases: [string, Record<string, string>][] = [
    ['MICROCLIMATE_GRPC_PORT', { MICROCLIMATE_GRPC_PORT: '80a' }],
    ['MICROCLIMATE_GRPC_PORT', { MICROCLIMATE_GRPC_PORT: '70000' }],
    ['MICROCLIMATE_WEBHOOK_PORT', { MICROCLIMATE_WEBHOOK_PORT: '9051' }],
    ['MICROCLIMATE_METRICS_PORT', { MICROCLIMATE_METRICS_PORT: '9052' }],
    ['MICROCLIMATE_METRICS_PORT', { MICROCLIMATE_METRICS_PORT: 'on' }],
    ['MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS', { MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS: '86400' }],
    ['MICROCLIMATE_RECONCILE_INTERVAL_MS', { MICROCLIMATE_RECONCILE_INTERVAL_MS: '10' }],
    ['MICROCLIMATE_BIND', { MICROCLIMATE_BIND: 'local host' }],
    ['MICROCLIMATE_PUBLIC_HOSTS', { MICROCLIMATE_PUBLIC_HOSTS: 'http://localhost:8080' }],
    ['MICROCLIMATE_PUBLIC_HOSTS', { MICROCLIMATE_PUBLIC_HOSTS: ' , ' }],
    ['MICROCLIMATE_LXM', { MICROCLIMATE_LXM: '/microclimate.auth.v1.AuthService/CreateSession' }],
    ['MICROCLIMATE_DEV', { MICROCLIMATE_DEV: 'true' }],
    // http: PLC only in explicit dev mode: a cleartext resolver lets the network forge keys.
    ['MICROCLIMATE_PLC_URL', { MICROCLIMATE_PLC_URL: 'http://127.0.0.1:2582' }],
    ['MICROCLIMATE_PLC_URL', { MICROCLIMATE_PLC_URL: 'not a url', MICROCLIMATE_DEV: '1' }],
    ['MICROCLIMATE_SESSION_TTL_SECONDS', { MICROCLIMATE_SESSION_TTL_SECONDS: '-5' }],
    ['MICROCLIMATE_MAX_SERVICE_TOKEN_LIFETIME_SECONDS', { MICROCLIMATE_MAX_SERVICE_TOKEN_LIFETIME_SECONDS: '7200' }],
    ['MICROCLIMATE_LIVEKIT_URL', { MICROCLIMATE_LIVEKIT_URL: 'ftp://x' }],
    ['MICROCLIMATE_LIVEKIT_API_SECRET', { MICROCLIMATE_LIVEKIT_API_KEY: 'key' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '{"id":"a"}' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[{"id":"Bad Id","name":"x"}]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[{"id":"a","name":""}]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[{"id":"a","name":"A"},{"id":"a","name":"B"}]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[null]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[{"id":"a","name":"A","max":-1}]' }],
    ['MICROCLIMATE_CHANNELS', { MICROCLIMATE_CHANNELS: '[{"id":"a","name":"A","max":"20"}]' }],
  ];

  it.each(cases)('%s in %j', (variable, env) => {
    const error = errorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('the production rehearsal switch', () => {
  it('is off by default, and on it lifts only the private-address guard, not dev mode', () => {
    expect(load({}).rehearsalPrivateAddresses).toBe(false);
    const c = load({ MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES: '1' });
    expect(c.rehearsalPrivateAddresses).toBe(true);
    expect(c.dev).toBe(false);
    // Still no cleartext PLC: that stays dev mode's.
    expect(errorOf({ MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES: '1', MICROCLIMATE_PLC_URL: 'http://127.0.0.1:2582' }).variable).toBe('MICROCLIMATE_PLC_URL');
    expect(errorOf({ MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES: 'yes' }).variable).toBe('MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES');
  });
});
