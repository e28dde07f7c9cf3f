// Server configuration, read once from the environment at start.
//
// | Variable                                       | Default                                  | Meaning
// |------------------------------------------------|------------------------------------------|------------------------------------------------
// | MICROCLIMATE_NAME                              | Microclimate Local                       | Name shown to people on the connect screen
// | MICROCLIMATE_GRPC_PORT                         | 9051                                     | gRPC (HTTP/2 cleartext) port Envoy talks to; 0 = ephemeral
// | MICROCLIMATE_BIND                              | 127.0.0.1                                | Address to listen on (cleartext: keep it private)
// | MICROCLIMATE_PUBLIC_HOSTS                      | localhost:8080,127.0.0.1:8080            | host[:port] list clients reach us by (through Envoy);
// |                                                |                                          | each gives one accepted aud: did:web:<host>#microclimate
// | MICROCLIMATE_LXM                               | app.microclimate.server.createSession    | NSID required as `lxm` in service tokens
// | MICROCLIMATE_DEV                               | 0                                        | "1" = dev mode: allows http: PLC / DID resolution
// | MICROCLIMATE_PLC_URL                           | https://plc.directory                    | PLC directory for did:plc (http: only in dev mode)
// | MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES       | 0                                        | REHEARSAL ONLY ("1"): identity fetches (PLC, did:web, handles,
// |                                                |                                          | PDS profiles) may reach private and loopback addresses; still
// |                                                |                                          | https only, port 443, no IP hosts. Not dev mode. For
// |                                                |                                          | `npm start -- --production` on one machine, never a deployment
// | MICROCLIMATE_DATA_DIR                          | .stack/server (from the working dir)     | Where the server keeps its state (signing keys)
// | MICROCLIMATE_SESSION_TTL_SECONDS               | 900 (60..86400)                          | Lifetime of the session JWTs we issue
// | MICROCLIMATE_MAX_SERVICE_TOKEN_LIFETIME_SECONDS| 300 (1..3600)                            | Longest exp - iat accepted in a service token
// | MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL      | 100 (0 = no limit)                       | People per voice channel (README, Crowds)
// | MICROCLIMATE_LIVEKIT_URL                       | unset                                    | LiveKit URL given to clients (ws:, wss:, http:, https:)
// | MICROCLIMATE_LIVEKIT_API_KEY / _API_SECRET     | unset                                    | LiveKit key pair for room tokens (both or neither)
// | MICROCLIMATE_CHANNELS                          | Lobby, Music, Quiet room                 | JSON [{"id":"lobby","name":"Lobby"}, ...], display order; optional "max" per channel
// | MICROCLIMATE_SESSION_KEY_JWK                   | unset (generated into the data dir)      | ES256 private JWK that signs session JWTs (one server)
// | MICROCLIMATE_SESSION_KEYS                      | unset                                    | Replicas: JSON key set [jwk, ...] or {"keys":[...]}, each with a
// |                                                |                                          | kid; the first signs, all verify (rotation: identity/session-keys.ts)
// | MICROCLIMATE_SESSION_KEYS_FILE                 | unset                                    | The same key set read from a file (one of the two, not both)
// | MICROCLIMATE_SIGN_IN_RATE_LIMIT                | 20                                       | CreateSession calls per minute per client address (IPv6: /64)
// |                                                |                                          | and per DID; the address is the one Envoy names
// | MICROCLIMATE_RENEWAL_RATE_LIMIT                | 30                                       | Renewals (CreateSession with the current session as Bearer)
// |                                                |                                          | per minute per DID; not counted against the address
// | MICROCLIMATE_MAX_STREAMS_PER_DID               | 8 (1..10000)                             | Open WatchChannels streams per account (tabs, devices),
// |                                                |                                          | across all replicas
// | MICROCLIMATE_MAX_STREAMS                       | 4000 (1..1000000)                        | Open WatchChannels streams on this replica (keep below
// |                                                |                                          | Envoy's per-host circuit breaker, deploy/envoy.yaml)
// | MICROCLIMATE_DEV_HANDLE_RESOLVER_URL           | unset                                    | Dev only: resolve handles with this PDS's resolveHandle (*.test)
// | MICROCLIMATE_WEBHOOK_PORT                      | 9052                                     | HTTP/1.1 port (on MICROCLIMATE_BIND) for LiveKit webhooks,
// |                                                |                                          | POST /livekit/webhook; only with LiveKit configured; 0 = ephemeral
// | MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS         | 300 (30..3600)                           | Lifetime of LiveKit join tokens (GetChannelToken)
// | MICROCLIMATE_AVATAR_URL                        | https://cdn.bsky.app/img/avatar/plain/   | Image service for avatars: a URL pattern with {did} and {cid}
// |                                                |   {did}/{cid}@jpeg                       | (a PDS: <pds>/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid});
// |                                                |                                          | the app's CSP img-src must allow its origin (README "Faces")
// | MICROCLIMATE_RECONCILE_INTERVAL_MS             | 1000 (200..60000)                        | How often occupancy is checked against LiveKit's room API
// |                                                |                                          | while anyone is in a channel (5x slower when all are empty)
// | MICROCLIMATE_REDIS_URL                         | unset (one in-memory store)              | redis://[:password@]host:port[/db] (rediss: for TLS): the store
// |                                                |                                          | shared by several replicas (replay cache, rate limits, presence,
// |                                                |                                          | participant cap, reconciliation lease). Never logged.
// | MICROCLIMATE_DRAIN_MS                          | 0 (0..60000)                             | On SIGTERM: how long health says NOT_SERVING (new streams refused,
// |                                                |                                          | unary calls served) before the server closes; set it above the
// |                                                |                                          | proxy's health-check interval x unhealthy threshold
// | MICROCLIMATE_METRICS_PORT                      | unset (no metrics listener)              | HTTP port (on MICROCLIMATE_BIND) serving GET /metrics for
// |                                                |                                          | Prometheus (server/metrics/); never route it through Envoy
import { resolve } from 'node:path';
import { isPublicHost } from './did-web.js';
import { readAvatarUrlPattern } from './identity/avatar-url.js';
import { ConfigError, raw, readFlag, readInt, readString, readUrl, type Env } from './env-parse.js';

export { ConfigError } from './env-parse.js';

export interface ChannelConfig {
  readonly id: string;
  readonly name: string;
  /** End-to-end encrypted calls (default on); `"e2ee": false` in MICROCLIMATE_CHANNELS turns it off. */
  readonly e2ee?: boolean;
  /** People in this channel at most, instead of MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL (0 = no limit). */
  readonly max?: number;
}

export interface LiveKitConfig {
  readonly url: string | undefined;
  readonly apiKey: string | undefined;
  readonly apiSecret: string | undefined;
}

export interface ServerConfig {
  readonly name: string;
  readonly grpcPort: number;
  readonly bind: string;
  readonly publicHosts: readonly string[];
  readonly lxm: string;
  readonly dev: boolean;
  /** Rehearsal only: identity fetches may reach private addresses (MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES). */
  readonly rehearsalPrivateAddresses: boolean;
  readonly plcUrl: string;
  readonly dataDir: string;
  readonly sessionTtlSeconds: number;
  readonly maxServiceTokenLifetimeSeconds: number;
  readonly maxParticipantsPerChannel: number;
  readonly livekit: LiveKitConfig;
  readonly channels: readonly ChannelConfig[];
  readonly sessionKeyJwk: string | undefined;
  /** Key material: never log these. */
  readonly sessionKeys: string | undefined;
  readonly sessionKeysFile: string | undefined;
  readonly signInRateLimit: number;
  readonly renewalRateLimit: number;
  readonly maxStreamsPerDid: number;
  readonly maxStreams: number;
  readonly devHandleResolverUrl: string | undefined;
  readonly webhookPort: number;
  readonly channelTokenTtlSeconds: number;
  readonly reconcileIntervalMs: number;
  /** Holds the Redis password: never log it. */
  readonly redisUrl: string | undefined;
  readonly drainMs: number;
  /** Avatar URL pattern with {did} and {cid} (identity/avatar-url.ts). */
  readonly avatarUrlPattern: string;
  /** The Prometheus listener's port; undefined = none. */
  readonly metricsPort: number | undefined;
}

export const DEFAULT_CHANNELS: readonly ChannelConfig[] = [
  { id: 'lobby', name: 'Lobby' },
  { id: 'music', name: 'Music' },
  { id: 'quiet-room', name: 'Quiet room' },
];

// NSID: reversed domain authority (>= 2 segments) + a name; what getServiceAuth accepts as lxm.
const NSID = /^(?=.{1,317}$)[a-zA-Z]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$/;
const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Reads and validates the whole configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env, cwd: string = process.cwd()): ServerConfig {
  const dev = readFlag(env, 'MICROCLIMATE_DEV');
  // A cleartext PLC lets anyone on the path forge DID documents, hence signing keys.
  const plc = readUrl(env, 'MICROCLIMATE_PLC_URL', 'https://plc.directory', dev ? ['https:', 'http:'] : ['https:'], dev ? '' : ' (http: only with MICROCLIMATE_DEV=1)');
  const lkUrl = readUrl(env, 'MICROCLIMATE_LIVEKIT_URL', undefined, ['ws:', 'wss:', 'http:', 'https:']);
  const lkKey = raw(env, 'MICROCLIMATE_LIVEKIT_API_KEY');
  const lkSecret = raw(env, 'MICROCLIMATE_LIVEKIT_API_SECRET');
  if ((lkKey === undefined) !== (lkSecret === undefined)) {
    throw new ConfigError(lkKey === undefined ? 'MICROCLIMATE_LIVEKIT_API_KEY' : 'MICROCLIMATE_LIVEKIT_API_SECRET', 'set both the LiveKit API key and secret, or neither');
  }
  const grpcPort = readInt(env, 'MICROCLIMATE_GRPC_PORT', 9051, 0, 65535);
  const webhookPort = readInt(env, 'MICROCLIMATE_WEBHOOK_PORT', 9052, 0, 65535);
  if (webhookPort !== 0 && webhookPort === grpcPort) {
    throw new ConfigError('MICROCLIMATE_WEBHOOK_PORT', `must differ from MICROCLIMATE_GRPC_PORT (${grpcPort})`);
  }
  const metricsPort = raw(env, 'MICROCLIMATE_METRICS_PORT') === undefined ? undefined : readInt(env, 'MICROCLIMATE_METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== undefined && metricsPort !== 0 && (metricsPort === grpcPort || metricsPort === webhookPort)) {
    throw new ConfigError('MICROCLIMATE_METRICS_PORT', `must differ from MICROCLIMATE_GRPC_PORT (${grpcPort}) and MICROCLIMATE_WEBHOOK_PORT (${webhookPort})`);
  }
  return {
    name: readString(env, 'MICROCLIMATE_NAME', 'Microclimate Local'),
    grpcPort,
    bind: readBind(env),
    publicHosts: readPublicHosts(env),
    lxm: readLxm(env),
    dev,
    rehearsalPrivateAddresses: readFlag(env, 'MICROCLIMATE_REHEARSAL_PRIVATE_ADDRESSES'),
    plcUrl: plc!.toString().replace(/\/$/, ''),
    dataDir: resolve(cwd, readString(env, 'MICROCLIMATE_DATA_DIR', '.stack/server')),
    // Below a minute only in dev mode, where tests shorten it to exercise silent renewal.
    sessionTtlSeconds: readInt(env, 'MICROCLIMATE_SESSION_TTL_SECONDS', 900, dev ? 5 : 60, 86400),
    maxServiceTokenLifetimeSeconds: readInt(env, 'MICROCLIMATE_MAX_SERVICE_TOKEN_LIFETIME_SECONDS', 300, 1, 3600),
    maxParticipantsPerChannel: readInt(env, 'MICROCLIMATE_MAX_PARTICIPANTS_PER_CHANNEL', 100, 0, 10000),
    livekit: { url: lkUrl?.toString().replace(/\/$/, ''), apiKey: lkKey, apiSecret: lkSecret },
    channels: readChannels(env),
    sessionKeyJwk: raw(env, 'MICROCLIMATE_SESSION_KEY_JWK'),
    ...readSessionKeys(env),
    signInRateLimit: readInt(env, 'MICROCLIMATE_SIGN_IN_RATE_LIMIT', 20, 1, 100000),
    renewalRateLimit: readInt(env, 'MICROCLIMATE_RENEWAL_RATE_LIMIT', 30, 1, 100000),
    // A handful per person: each tab and device holds one; one account must not hold them all.
    maxStreamsPerDid: readInt(env, 'MICROCLIMATE_MAX_STREAMS_PER_DID', 8, 1, 10000),
    maxStreams: readInt(env, 'MICROCLIMATE_MAX_STREAMS', 4000, 1, 1000000),
    devHandleResolverUrl: readDevHandleResolver(env, dev),
    webhookPort,
    // A join token is a bearer credential for the room: short, since it only has to last until the join.
    channelTokenTtlSeconds: readInt(env, 'MICROCLIMATE_CHANNEL_TOKEN_TTL_SECONDS', 300, 30, 3600),
    // Mute changes reach us only through this poll (LiveKit has no webhook for them).
    reconcileIntervalMs: readInt(env, 'MICROCLIMATE_RECONCILE_INTERVAL_MS', 1000, 200, 60000),
    redisUrl: readRedisUrl(env),
    // One server alone has nobody to hand its traffic to: no wait by default.
    drainMs: readInt(env, 'MICROCLIMATE_DRAIN_MS', 0, 0, 60000),
    avatarUrlPattern: readAvatarUrlPattern(env, dev),
    metricsPort,
  };
}

function readSessionKeys(env: Env): { sessionKeys: string | undefined; sessionKeysFile: string | undefined } {
  const sessionKeys = raw(env, 'MICROCLIMATE_SESSION_KEYS');
  const sessionKeysFile = raw(env, 'MICROCLIMATE_SESSION_KEYS_FILE');
  const single = raw(env, 'MICROCLIMATE_SESSION_KEY_JWK');
  const given = [sessionKeys && 'MICROCLIMATE_SESSION_KEYS', sessionKeysFile && 'MICROCLIMATE_SESSION_KEYS_FILE', single && 'MICROCLIMATE_SESSION_KEY_JWK'].filter(Boolean);
  if (given.length > 1) throw new ConfigError(given[1] as string, `set only one of ${given.join(', ')}`);
  return { sessionKeys, sessionKeysFile };
}

/** Like readUrl, but an error never echoes the value: it carries the Redis password. */
function readRedisUrl(env: Env): string | undefined {
  const name = 'MICROCLIMATE_REDIS_URL';
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError(name, 'expected redis://[:password@]host:port[/db] or rediss://… (value not shown: it may hold a password)');
  }
  return value;
}

function readDevHandleResolver(env: Env, dev: boolean): string | undefined {
  const url = readUrl(env, 'MICROCLIMATE_DEV_HANDLE_RESOLVER_URL', undefined, ['http:', 'https:']);
  if (url && !dev) throw new ConfigError('MICROCLIMATE_DEV_HANDLE_RESOLVER_URL', 'only allowed with MICROCLIMATE_DEV=1');
  return url?.toString().replace(/\/$/, '');
}

function readBind(env: Env): string {
  const bind = readString(env, 'MICROCLIMATE_BIND', '127.0.0.1');
  if (!/^[0-9a-zA-Z.:-]+$/.test(bind)) throw new ConfigError('MICROCLIMATE_BIND', `not an address: "${bind}"`);
  return bind;
}

function readPublicHosts(env: Env): string[] {
  const name = 'MICROCLIMATE_PUBLIC_HOSTS';
  const hosts = readString(env, name, 'localhost:8080,127.0.0.1:8080')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  if (hosts.length === 0) throw new ConfigError(name, 'needs at least one host[:port]');
  for (const host of hosts) {
    if (!isPublicHost(host)) throw new ConfigError(name, `not a host[:port] (no scheme, no path): "${host}"`);
  }
  return [...new Set(hosts)];
}

function readLxm(env: Env): string {
  const lxm = readString(env, 'MICROCLIMATE_LXM', 'app.microclimate.server.createSession');
  if (!NSID.test(lxm)) throw new ConfigError('MICROCLIMATE_LXM', `not an NSID (e.g. app.example.server.createSession): "${lxm}"`);
  return lxm;
}

function readChannels(env: Env): ChannelConfig[] {
  const name = 'MICROCLIMATE_CHANNELS';
  const value = raw(env, name);
  if (value === undefined) return DEFAULT_CHANNELS.map((c) => ({ ...c }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, 'not valid JSON; expected [{"id":"lobby","name":"Lobby"}, ...]');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError(name, 'expected a non-empty JSON array of {id, name}');
  const seen = new Set<string>();
  return parsed.map((item: unknown, i) => {
    const { id, name: title, e2ee, max } = (item ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !CHANNEL_ID.test(id)) {
      throw new ConfigError(name, `channel ${i}: id must be 1-63 of a-z, 0-9, "-" (got ${JSON.stringify(id)})`);
    }
    if (typeof title !== 'string' || title.trim() === '' || title.length > 64) {
      throw new ConfigError(name, `channel "${id}": name must be a non-empty string of at most 64 characters`);
    }
    if (seen.has(id)) throw new ConfigError(name, `channel id "${id}" appears twice`);
    if (e2ee !== undefined && typeof e2ee !== 'boolean') throw new ConfigError(name, `channel "${id}": e2ee must be true or false`);
    seen.add(id);
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 10000)) {
      throw new ConfigError(name, `channel "${id}": max must be a whole number of people from 0 (no limit) to 10000 (got ${JSON.stringify(max)})`);
    }
    return { id, name: title.trim(), ...(e2ee === false ? { e2ee } : {}), ...(max !== undefined ? { max } : {}) };
  });
}
