// Clients of ChannelsService for the signed-in session: every call carries the session's
// current JWT and renews it once, silently, when the server says it expired. The client is
// bound to the server the session had when it was made, and the transport sends a JWT
// only to the server that issued it (see $lib/api/transport.ts).
import { createClient, type Client } from '@connectrpc/connect';
import { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { createServerTransport } from '$lib/api/transport.js';
import type { Session } from '$lib/auth/session.svelte.js';

export function channelsClient(session: Session): Client<typeof ChannelsService> {
	const serverUrl = session.current?.serverUrl;
	if (!serverUrl) throw new Error('Not signed in');
	const transport = createServerTransport(serverUrl, {
		getBearer: () => session.current,
		renew: () => session.renewSession()
	});
	return createClient(ChannelsService, transport);
}
