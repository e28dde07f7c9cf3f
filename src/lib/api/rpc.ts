// Everything of the app that needs the gRPC-Web transport (connect-web), protobuf-es or the
// generated contract code, in one module that is only ever imported dynamically (rpc-loader.ts).
// The first screens (the signed-in list, /connect) import none of it statically: they paint
// first, then this chunk loads and evaluates, and only then do calls go out. A module the
// first screens import must not import @connectrpc/*, @bufbuild/* or $lib/gen at run time
// (type-only imports are fine); it asks loadRpc() for what it needs here instead.
import { createClient, type ConnectError } from '@connectrpc/connect';
import { AuthService, ServerLimitsSchema } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelSchema } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { createServerTransport } from './transport.js';

export { Code, ConnectError } from '@connectrpc/connect';
export { createServerTransport } from './transport.js';
export { fetchServerInfo } from './server-info.js';
export { channelsClient } from '$lib/channels/transport.js';
export { createServerSession } from '$lib/auth/server-session.js';
export { isDefiniteRefusal } from '$lib/auth/renewal-errors.js';
export { describeLoginError, isAbort, mayBeClockTrouble } from '$lib/auth/login-errors.js';
export { checkDeviceClock } from '$lib/auth/device-clock.js';

/**
 * The server's display name and its people-per-channel limit (AuthService.GetServerInfo; 0: no
 * limit), for the signed-in screen's title and the channel cards' "Full".
 */
export async function fetchServerSummary(serverUrl: string, signal?: AbortSignal): Promise<{ name: string; maxPerChannel: number }> {
	const info = await createClient(AuthService, createServerTransport(serverUrl)).getServerInfo({}, { signal });
	return { name: info.name, maxPerChannel: info.limits?.maxParticipantsPerChannel ?? 0 };
}

/** A full channel's refusal carries the channel and the limit it hit as details (a rate limit has none). */
export function fullChannelOf(err: ConnectError): { name: string; max: number } | undefined {
	const channel = err.findDetails(ChannelSchema)[0];
	const max = err.findDetails(ServerLimitsSchema)[0]?.maxParticipantsPerChannel;
	return channel && max ? { name: channel.name, max } : undefined;
}
