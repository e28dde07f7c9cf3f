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

	it('a channel the server lists as not encrypted is joined without a key (no public key, the token marked plain), even where encryption is impossible; the others still refuse', async () => {
		const { client, requests } = server();
		const privacy = new CallPrivacy();
		const keyed = keyedChannelsClient(client, privacy, () => false, (id) => id === 'open-mic');
		const grant = await keyed.getChannelToken({ channelId: 'open-mic' });
		expect(requests).toEqual([{ channelId: 'open-mic', publicKey: new Uint8Array() }]);
		expect(privacy.isPlain(grant.token)).toBe(true);
		expect(privacy.keyFor(grant.token)).toBeUndefined();
		expect(privacy.code).toBe('');
		const err = await keyed.getChannelToken({ channelId: 'lobby' }).catch((e: unknown) => e);
		expect(describeJoinError(err, () => true).final).toBe(true);
		expect(requests).toHaveLength(1);
	});

	it('an encrypted join after a plain one is not plain', async () => {
		const { client } = server();
		const privacy = new CallPrivacy();
		const keyed = keyedChannelsClient(client, privacy, () => true, (id) => id === 'open-mic');
		const plain = await keyed.getChannelToken({ channelId: 'open-mic' });
		const sealed = await keyed.getChannelToken({ channelId: 'lobby' });
		expect(privacy.isPlain(plain.token)).toBe(false);
		expect(privacy.isPlain(sealed.token)).toBe(false);
		expect(privacy.keyFor(sealed.token)).toBeDefined();
	});
});
