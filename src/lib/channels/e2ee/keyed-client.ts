// The channels client a call uses: every GetChannelToken carries a fresh device public key
// (the private half stays in this tab, non-extractable), and a browser that cannot encrypt
// media is refused before any request, since a token request alone ends this person's call
// on their other devices. There is no unencrypted fallback: only a channel the server lists
// as not encrypted (Channel.e2ee false, `plain`) is joined without a key, and its call shows
// no lock nor call code.
import type { Client } from '@connectrpc/connect';
import type { ChannelsService } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { canEncryptCalls, EncryptionUnsupported, type CallPrivacy } from './call-privacy.svelte.js';

type Channels = Client<typeof ChannelsService>;

export function keyedChannelsClient(client: Channels, privacy: CallPrivacy, supported: () => boolean = canEncryptCalls, plain: (channelId: string) => boolean = () => false): Channels {
	return {
		...client,
		async getChannelToken(request, options) {
			if (plain(request.channelId ?? '')) {
				const grant = await client.getChannelToken(request, options);
				privacy.grantedPlain(grant.token);
				return grant;
			}
			if (!supported()) throw new EncryptionUnsupported();
			const key = await privacy.keyForJoin();
			const grant = await client.getChannelToken({ ...request, publicKey: key.publicKey }, options);
			privacy.granted(grant.token, key);
			return grant;
		}
	};
}
