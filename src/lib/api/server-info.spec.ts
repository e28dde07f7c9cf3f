import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { AuthService, GetServerInfoResponseSchema } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import { fetchServerInfo } from './server-info.js';

const BASE = 'https://chat.example.com';

function serverAnswering(impl: () => unknown) {
	return createRouterTransport(({ service }) => {
		service(AuthService, {
			getServerInfo: impl as never,
			createSession: () => {
				throw new ConnectError('not here', Code.Unimplemented);
			}
		});
	});
}

describe('fetchServerInfo', () => {
	it('returns the server name and lxm of a Microclimate server', async () => {
		const transport = serverAnswering(() =>
			create(GetServerInfoResponseSchema, { name: 'Test Server', lxm: 'app.microclimate.server.createSession' })
		);
		const result = await fetchServerInfo(transport, BASE);
		expect(result.ok && result.info.name).toBe('Test Server');
	});

	it('calls a host that does not implement the service not a Microclimate server', async () => {
		const transport = serverAnswering(() => {
			throw new ConnectError('no such method', Code.Unimplemented);
		});
		const result = await fetchServerInfo(transport, BASE);
		expect(result).toMatchObject({ ok: false, reason: 'not-microclimate' });
		expect(!result.ok && result.message).toContain('chat.example.com answers, but it is not a Microclimate server');
	});

	it('tells an unreachable host from one that answers without gRPC-Web', async () => {
		const failedFetch = serverAnswering(() => {
			throw new ConnectError('Failed to fetch', Code.Unknown);
		});
		const dead = await fetchServerInfo(failedFetch, BASE, { hostAnswers: async () => false });
		expect(dead).toMatchObject({ ok: false, reason: 'unreachable' });
		expect(!dead.ok && dead.message).toBe("Can't reach chat.example.com. Check the address and your connection.");

		const alive = await fetchServerInfo(failedFetch, BASE, { hostAnswers: async () => true });
		expect(alive).toMatchObject({ ok: false, reason: 'not-microclimate' });
	});

	it('says the service is down when the proxy answers UNAVAILABLE', async () => {
		const transport = serverAnswering(() => {
			throw new ConnectError('upstream connect error', Code.Unavailable);
		});
		const result = await fetchServerInfo(transport, BASE);
		expect(result).toMatchObject({ ok: false, reason: 'unavailable' });
	});

	it('treats an answer without a name as not a Microclimate server', async () => {
		const transport = serverAnswering(() => create(GetServerInfoResponseSchema, {}));
		const result = await fetchServerInfo(transport, BASE);
		expect(result).toMatchObject({ ok: false, reason: 'not-microclimate' });
	});
});
