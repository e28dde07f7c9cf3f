import { describe, expect, it, vi } from 'vitest';
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { CallPrivacy } from './call-privacy.svelte.js';
import { keyedChannelsClient } from './keyed-client.js';
import { describeJoinError } from '../call-errors.js';

function server() {
	const requests: { channelId: string; publicKey: Uint8Array }[] = [];
	let n = 0;
	const transport = createRouterTransport(({ service }) => {
		service(ChannelsService, {
			getChannelToken: (req) => {
				requests.push({ channelId: req.channelId, publicKey: req.publicKey });
				return { livekitUrl: 'ws://lk', token: `token-${++n}`, room: req.channelId };
			}
		});
	});
	return { client: createClient(ChannelsService, transport), requests };
}

describe('token requests of an encrypted call', () => {
	it('carry a fresh P-256 public key per join, which the engine then finds by the token', async () => {
		const { client, requests } = server();
		const privacy = new CallPrivacy();
		const keyed = keyedChannelsClient(client, privacy, () => true);
		const first = await keyed.getChannelToken({ channelId: 'lobby' });
		const second = await keyed.getChannelToken({ channelId: 'lobby' });
		expect(requests.map((r) => [r.publicKey.length, r.publicKey[0]])).toEqual([
			[65, 4],
			[65, 4]
		]);
		expect(requests[0]!.publicKey).not.toEqual(requests[1]!.publicKey);
		expect(privacy.keyFor(second.token)?.publicKey).toEqual(requests[1]!.publicKey);
		expect(privacy.keyFor(first.token)).toBeUndefined(); // superseded by the later join
		expect(privacy.keyFor(second.token)?.privateKey.extractable).toBe(false);
	});

	it('in a browser that cannot encrypt, nothing is requested and the join ends with a message that says why', async () => {
		const { client, requests } = server();
		const spy = vi.spyOn(client, 'getChannelToken');
		const keyed = keyedChannelsClient(client, new CallPrivacy(), () => false);
		const err = await keyed.getChannelToken({ channelId: 'lobby' }).catch((e: unknown) => e);
		expect(spy).not.toHaveBeenCalled();
		expect(requests).toEqual([]);
		expect(describeJoinError(err, () => true)).toEqual({ text: expect.stringMatching(/^This browser can't join encrypted calls\./), final: true });
	});
});
