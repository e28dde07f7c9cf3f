// Links that open the app on a server, or on one of its channels:
//   <app>/?server=api.example.com               the server's /connect, pre-filled and checked
//   <app>/?server=api.example.com&channel=lobby  ...then that channel, highlighted, one tap to join
//   <app>/?channel=lobby                         a channel on the server you are signed in to
// A link is input from anyone: the server goes through the same checks as a typed address
// (https only, except loopback; no path, credentials or other schemes), a channel must look
// like a channel id, and anything else is refused with a message and changes nothing.
import { normaliseServerUrl } from './server-url.js';

export type ShareLink =
	| { kind: 'none' }
	| { kind: 'ok'; server: string | undefined; channel: string | undefined }
	| { kind: 'bad'; message: string };

const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What the link in `url`'s query asks for. */
export function parseShareLink(url: URL): ShareLink {
	const server = url.searchParams.get('server');
	const channel = url.searchParams.get('channel');
	if (server === null && channel === null) return { kind: 'none' };
	if (url.searchParams.getAll('server').length > 1 || url.searchParams.getAll('channel').length > 1) {
		return { kind: 'bad', message: 'This link names more than one server or channel, so it was not opened.' };
	}
	let serverUrl: string | undefined;
	if (server !== null) {
		const checked = normaliseServerUrl(server);
		if (!checked.ok) return { kind: 'bad', message: `This link’s server address is not valid: ${checked.message} Nothing was changed.` };
		serverUrl = checked.url;
	}
	if (channel !== null && !CHANNEL_ID.test(channel)) {
		return { kind: 'bad', message: 'This link’s channel is not a channel name (lowercase letters, digits and “-”). Nothing was changed.' };
	}
	return { kind: 'ok', server: serverUrl, channel: channel ?? undefined };
}

/** The link to share for `serverUrl` (and a channel on it), opening this app at `appOrigin`. */
export function shareLinkFor(appOrigin: string, serverUrl: string, channel?: string): string {
	const params = new URLSearchParams({ server: new URL(serverUrl).host });
	if (channel) params.set('channel', channel);
	return `${appOrigin}/?${params}`;
}

/** The query that carries a link to another screen ('' when there is nothing to carry). */
export function linkQuery(link: { server?: string; channel?: string }): string {
	const params = new URLSearchParams();
	if (link.server) params.set('server', new URL(link.server).host);
	if (link.channel) params.set('channel', link.channel);
	const text = params.toString();
	return text ? `?${text}` : '';
}
