// Sign-ins made by a script through one zone's front door (zone k prefers API replica k):
// the PDS session, a service-auth token, and CreateSession over gRPC-Web, as the app does.
import { AtpAgent } from '@atproto/api';
import { createClient, type Transport } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { AuthService } from '../../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { CREATE_SESSION_LXM } from '../../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../../src/lib/auth/service-did.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { zoneOf, type Zone } from './topology.ts';

/**
 * gRPC-Web through zone k's door. `localAddress` (another loopback address, 127.0.0.x) makes
 * Envoy see another client, so a test of the per-address rate limit has its own budget.
 */
export function zoneTransport(stack: StackInfo, zone: Zone, localAddress?: string): Transport {
	return createGrpcWebTransport({ baseUrl: zoneOf(stack, zone).server, httpVersion: '1.1', ...(localAddress && { nodeOptions: { localAddress } }) });
}

/** A fresh service-auth token for the server, minted by the account's PDS. */
export async function serviceToken(stack: StackInfo, handle: string): Promise<string> {
	const account = stack.accounts.find((a) => a.handle === handle);
	if (!account) throw new Error(`no demo account ${handle}`);
	const agent = new AtpAgent({ service: stack.pds });
	await agent.login({ identifier: account.handle, password: account.password });
	const { data } = await agent.com.atproto.server.getServiceAuth({
		aud: serviceDidFor(stack.server),
		lxm: CREATE_SESSION_LXM,
		exp: Math.floor(Date.now() / 1000) + 60
	});
	return data.token;
}

export async function scriptSignInThrough(stack: StackInfo, handle: string, zone: Zone): Promise<{ did: string; token: string }> {
	const res = await createClient(AuthService, zoneTransport(stack, zone)).createSession({ serviceToken: await serviceToken(stack, handle) });
	return { did: res.did, token: res.sessionToken };
}
