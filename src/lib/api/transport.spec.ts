import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { createServerTransport, type Bearer } from './transport.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';

/** The network: records what was sent where, answers every call with `code`. */
function network(code: Code) {
	const sent: { url: string; authorization: string | null }[] = [];
	vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
		const request = new Request(input, init);
		sent.push({ url: request.url, authorization: request.headers.get('authorization') });
		return new Response(null, { status: 200, headers: { 'content-type': 'application/grpc-web+proto', 'grpc-status': String(code), 'grpc-message': 'no' } });
	});
	return sent;
}

function channels(getBearer: () => Bearer | undefined, renew?: () => Promise<Bearer | undefined>) {
	return createClient(ChannelsService, createServerTransport(A, { getBearer, renew }));
}

/** The call's failure (it must fail). */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
	try {
		await call;
	} catch (e) {
		return ConnectError.from(e);
	}
	throw new Error('expected the call to fail');
}

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('the session JWT is pinned to the server that issued it', () => {
	it('sends server A its own JWT', async () => {
		const sent = network(Code.NotFound);
		await expect(channels(() => ({ serverUrl: A, token: 'jwt-a' })).listChannels({})).rejects.toThrow();
		expect(sent).toEqual([{ url: `${A}/microclimate.channels.v1.ChannelsService/ListChannels`, authorization: 'Bearer jwt-a' }]);
	});

	it('never sends server B’s JWT to server A, even when the session moved to B', async () => {
		const sent = network(Code.NotFound);
		const err = await failure(channels(() => ({ serverUrl: B, token: 'jwt-b' })).listChannels({}));
		expect(err.code).toBe(Code.Unauthenticated);
		expect(sent).toEqual([]);
	});

	it('does not retry with a renewed JWT that belongs to another server', async () => {
		const sent = network(Code.Unauthenticated);
		const client = channels(
			() => ({ serverUrl: A, token: 'old-a' }),
			async () => ({ serverUrl: B, token: 'jwt-b' })
		);
		const err = await failure(client.listChannels({}));
		expect(err.code).toBe(Code.Unauthenticated);
		expect(sent.map((s) => s.authorization)).toEqual(['Bearer old-a']);
	});

	it('a renewal that fails for a passing reason fails the call as UNAVAILABLE, so it is retried', async () => {
		network(Code.Unauthenticated);
		const client = channels(
			() => ({ serverUrl: A, token: 'old-a' }),
			async () => Promise.reject(new TypeError('Failed to fetch'))
		);
		const err = await failure(client.listChannels({}));
		expect(err.code).toBe(Code.Unavailable);
	});
});
