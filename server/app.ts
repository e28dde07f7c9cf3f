// Builds the gRPC server: routes, interceptors, HTTP/2 cleartext listener, graceful close.
// Exported so tests and the orchestrator can run it in-process.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, createContextValues, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Health } from '../src/lib/gen/grpc/health/v1/health_pb.js';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ServerConfig } from './config.js';
import { healthService } from './health/health-service.js';
import { refuseStreamsWhileDraining, ServingState } from './health/serving.js';
import { logEvent, logRequests, peerKey, stdoutWriter, type LogWriter } from './log.js';
import { authService } from './services/auth.js';
import { channelsService } from './services/channels.js';
import { requireSession, type SessionVerifier } from './session-auth.js';
import { createSessionAuthority, type SessionAuthority } from './session-authority.js';
import type { ProfileBook } from './identity/profile-book.js';
import { createProfileBook } from './identity/profiles.js';
import { reportOccupancy } from './metrics/registry.js';
import { storeFaults } from './store/faults.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { channelCap, type ChannelCap } from './voice/channel-cap.js';
import type { ChannelOccupancy } from './voice/occupancy.js';
import { startOccupancySources } from './voice/occupancy-sources.js';
import { SharedOccupancy } from './voice/shared-occupancy.js';
import { replicaId } from './store/lease.js';
import { liveKitOneCall, type EndOtherCalls } from './voice/one-call.js';
import { channelRooms, type ChannelRooms } from './voice/rooms.js';
import { DEFAULT_CLAIM_TTL_MS, StreamQuota } from './voice/stream-quota.js';
import type { WatchTuning } from './voice/watch.js';

export interface AppOptions {
  log?: LogWriter;
  /** Sign-in and session checks; built from the config when not given. */
  authority?: SessionAuthority;
  /** Overrides the authority's session check (tests). */
  verifySession?: SessionVerifier;
  /** How long open streams get to finish on close before their connections are cut. */
  closeGraceMs?: number;
  /** WatchChannels heartbeat and per-stream queue limit (tests shorten them). */
  watch?: WatchTuning;
  /**
   * What the server remembers between requests; default: the one the config names (Redis
   * with MICROCLIMATE_REDIS_URL, else in memory), closed with the server. A given store is
   * left open (tests share one between two servers).
   */
  store?: Store;
  /** Display names and avatars; built from the config when not given. */
  profiles?: ProfileBook;
}

export interface RunningServer {
  /** The port actually bound (useful with MICROCLIMATE_GRPC_PORT=0). */
  readonly port: number;
  readonly address: string;
  /** The LiveKit webhook port actually bound; undefined when LiveKit is not configured. */
  readonly webhookPort: number | undefined;
  /** Who is in which channel, shared through the store (tests read and drive it). */
  readonly occupancy: SharedOccupancy;
  /** This replica's name among the replicas (logs, the reconciliation lease). */
  readonly replica: string;
  /** SERVING / NOT_SERVING, as grpc.health.v1 reports it. */
  readonly serving: ServingState;
  /**
   * The graceful stop (SIGTERM): health turns NOT_SERVING so the proxy moves traffic away,
   * new streams are refused, and after config.drainMs the server closes (close()).
   */
  drain(): Promise<void>;
  /** Stops accepting, ends open RPCs, and resolves once every connection is gone. */
  close(): Promise<void>;
}

export function serverVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export interface VoiceDeps {
  occupancy: ChannelOccupancy;
  rooms: ChannelRooms;
  streams: StreamQuota;
  watch?: WatchTuning;
  /** One call per person: ends the caller's calls in other channels (voice/one-call.ts). */
  endOtherCalls?: EndOtherCalls;
  cap: ChannelCap;
  profiles?: ProfileBook;
}

export function createRoutes(config: ServerConfig, authority: SessionAuthority, voice: VoiceDeps, serving: ServingState, version = serverVersion()) {
  return (router: ConnectRouter): void => {
    router.service(AuthService, authService(config, version, authority, voice.profiles));
    router.service(ChannelsService, channelsService(config, voice));
    router.service(Health, healthService(serving, [AuthService.typeName, ChannelsService.typeName]));
  };
}

export async function startServer(config: ServerConfig, options: AppOptions = {}): Promise<RunningServer> {
  const shutdown = new AbortController();
  const log = options.log ?? stdoutWriter;
  const store = options.store ?? (await openStore(config, log));
  const ownsStore = options.store === undefined;
  const authority = options.authority ?? (await createSessionAuthority(config, store));
  const profiles = options.profiles ?? createProfileBook(config);
  const rooms = channelRooms(config.channels);
  const replica = replicaId();
  const shared = await SharedOccupancy.open(store, rooms.channelIds);
  const serving = new ServingState(store);
  const occupancy = shared.view;
  const unreport = reportOccupancy({ channelIds: rooms.channelIds, count: (id) => occupancy.count(id) });
  const streams = new StreamQuota(store, {
    perDid: config.maxStreamsPerDid,
    total: config.maxStreams,
    claimTtlMs: DEFAULT_CLAIM_TTL_MS,
  });
  const handler = connectNodeAdapter({
    routes: createRoutes(config, authority, {
      occupancy,
      rooms,
      streams,
      watch: options.watch,
      endOtherCalls: liveKitOneCall(config.livekit, occupancy, rooms, log),
      cap: channelCap(store, occupancy),
      profiles,
    }, serving),
    // Logging first (outermost) so that refused calls are logged too.
    interceptors: [
      logRequests(log),
      storeFaults(),
      refuseStreamsWhileDraining(serving, [Health.typeName]),
      requireSession({
        publicMethods: [AuthService.method.getServerInfo, AuthService.method.createSession, ...Health.methods],
        verify: options.verifySession ?? authority.verifySession,
      }),
    ],
    contextValues: (req) => createContextValues().set(peerKey, req.socket.remoteAddress ?? 'unknown'),
    // Every message of this API is small; the default (4 GiB) would let anyone make us buffer a lot.
    readMaxBytes: 64 * 1024,
    shutdownSignal: shutdown.signal,
  });

  // Node lets one HTTP/2 session queue 10 MB by default and resets new streams past that. The
  // proxy's session carries every client's stream (up to MICROCLIMATE_MAX_STREAMS), so opening
  // the lists of a crowd at once (a reconnect after a restart) queues one snapshot each: 2,000
  // snapshots of 12 KB (200 people seated) already pass 10 MB. Big snapshots take turns
  // (voice/watch.ts); this is the room for the small ones and for the events.
  const server = http2.createServer({ maxSessionMemory: 256 }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  let sources;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.grpcPort, config.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    sources = await startOccupancySources(config, shared, rooms, store, log, replica);
  } catch (error) {
    // e.g. a port is taken: leave neither the gRPC port bound nor a Redis connection open.
    if (server.listening) server.close();
    unreport();
    streams.close();
    shared.close();
    serving.close();
    if (ownsStore) await store.close();
    throw error;
  }
  const { port, address } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const sourcesClosed = sources.close();
      server.close(
        () =>
          void sourcesClosed
            .then(() => {
              unreport();
              streams.close();
              shared.close();
              serving.close();
            })
            .then(() => (ownsStore ? store.close() : undefined))
            .then(() => resolve()),
      );
      // Ends WatchChannels streams and other open RPCs with a code that tells clients to resume.
      shutdown.abort(new ConnectError('the server is shutting down; reconnect', Code.Unavailable));
      for (const session of sessions) session.close(); // GOAWAY: no new streams, let open ones end
      const force = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, options.closeGraceMs ?? 4000);
      force.unref();
    }));

  const drain = async (): Promise<void> => {
    serving.drain();
    logEvent(log, 'draining', { replica, ms: config.drainMs });
    await new Promise((resolve) => setTimeout(resolve, config.drainMs));
    await close();
  };

  return { port, address, webhookPort: sources.webhookPort, occupancy: shared, replica, serving, drain, close };
}
