// Builds the gRPC server: routes, interceptors, HTTP/2 cleartext listener, graceful close.
// Exported so tests and the orchestrator can run it in-process.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, createContextValues, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelsService } from '../src/lib/gen/microclimate/channels/v1/channels_pb.js';
import type { ServerConfig } from './config.js';
import { logRequests, peerKey, stdoutWriter, type LogWriter } from './log.js';
import { authService } from './services/auth.js';
import { channelsService } from './services/channels.js';
import { requireSession, type SessionVerifier } from './session-auth.js';
import { createSessionAuthority, type SessionAuthority } from './session-authority.js';
import type { ProfileBook } from './identity/profile-book.js';
import { createProfileBook } from './identity/profiles.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { ChannelOccupancy } from './voice/occupancy.js';
import { startOccupancySources } from './voice/occupancy-sources.js';
import { liveKitOneCall, type EndOtherCalls } from './voice/one-call.js';
import { channelRooms, type ChannelRooms } from './voice/rooms.js';
import { StreamQuota } from './voice/stream-quota.js';
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
  /** What the server remembers between requests; default one in-memory store for this process. */
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
  /** Who is in which channel (tests read and drive it). */
  readonly occupancy: ChannelOccupancy;
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
  profiles?: ProfileBook;
}

export function createRoutes(config: ServerConfig, authority: SessionAuthority, voice: VoiceDeps, version = serverVersion()) {
  return (router: ConnectRouter): void => {
    router.service(AuthService, authService(config, version, authority, voice.profiles));
    router.service(ChannelsService, channelsService(config, voice));
  };
}

export async function startServer(config: ServerConfig, options: AppOptions = {}): Promise<RunningServer> {
  const shutdown = new AbortController();
  const store = options.store ?? new MemoryStore();
  const authority = options.authority ?? (await createSessionAuthority(config, store));
  const log = options.log ?? stdoutWriter;
  const profiles = options.profiles ?? createProfileBook(config);
  const rooms = channelRooms(config.channels);
  const occupancy = new ChannelOccupancy(rooms.channelIds);
  const streams = new StreamQuota(store, {
    perDid: config.maxStreamsPerDid,
    total: config.maxStreams,
    ttlMs: (config.sessionTtlSeconds + 60) * 1000,
  });
  const handler = connectNodeAdapter({
    routes: createRoutes(config, authority, { occupancy, rooms, streams, watch: options.watch, endOtherCalls: liveKitOneCall(config.livekit, occupancy, rooms, log), profiles }),
    // Logging first (outermost) so that refused calls are logged too.
    interceptors: [
      logRequests(log),
      requireSession({
        publicMethods: [AuthService.method.getServerInfo, AuthService.method.createSession],
        verify: options.verifySession ?? authority.verifySession,
      }),
    ],
    contextValues: (req) => createContextValues().set(peerKey, req.socket.remoteAddress ?? 'unknown'),
    // Every message of this API is small; the default (4 GiB) would let anyone make us buffer a lot.
    readMaxBytes: 64 * 1024,
    shutdownSignal: shutdown.signal,
  });

  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.grpcPort, config.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  let sources;
  try {
    sources = await startOccupancySources(config, occupancy, rooms, log);
  } catch (error) {
    server.close(); // e.g. the webhook port is taken: do not leave the gRPC port bound
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const sourcesClosed = sources.close();
      server.close(() => void sourcesClosed.then(() => resolve()));
      // Ends WatchChannels streams and other open RPCs with a code that tells clients to resume.
      shutdown.abort(new ConnectError('the server is shutting down; reconnect', Code.Unavailable));
      for (const session of sessions) session.close(); // GOAWAY: no new streams, let open ones end
      const force = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, options.closeGraceMs ?? 4000);
      force.unref();
    }));

  return { port, address, webhookPort: sources.webhookPort, occupancy, close };
}
