// A sign-in made by a script, without a browser: the PDS session (the stand-in for the
// OAuth token exchange), a service-auth token, and the server's CreateSession. It is the
// login baseline, and gives the RPC and presence benchmarks their session JWTs.
import { AtpAgent } from '@atproto/api';
import { createClient, type Transport } from '@connectrpc/connect';
import { AuthService } from '../src/lib/gen/microclimate/auth/v1/auth_pb.ts';
import { CREATE_SESSION_LXM } from '../src/lib/auth/oauth-scope.ts';
import { serviceDidFor } from '../src/lib/auth/service-did.ts';
import type { StackInfo } from '../scripts/stack/index.ts';

export interface ScriptSession {
	did: string;
	token: string;
}

export async function scriptSignIn(stack: StackInfo, handle: string, transport: Transport): Promise<ScriptSession> {
	const account = stack.accounts.find((a) => a.handle === handle);
	if (!account) throw new Error(`no demo account ${handle}`);
	const agent = new AtpAgent({ service: stack.pds });
	await agent.login({ identifier: account.handle, password: account.password });
	const { data } = await agent.com.atproto.server.getServiceAuth({
		aud: serviceDidFor(stack.server), // derived from the URL, as the app does
		lxm: CREATE_SESSION_LXM,
		exp: Math.floor(Date.now() / 1000) + 60
	});
	const res = await createClient(AuthService, transport).createSession({ serviceToken: data.token });
	return { did: res.did, token: res.sessionToken };
}
