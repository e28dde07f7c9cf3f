// Carries a shared link's own query parameters (server, channel) from one screen to the
// next, untouched: the screen that shows the link judges it (share-link.ts), so a bad link
// still reaches the place that explains what is wrong with it.
export function carriedLink(url: URL): string {
	const params = new URLSearchParams();
	for (const name of ['server', 'channel']) for (const value of url.searchParams.getAll(name)) params.append(name, value);
	const text = params.toString();
	return text ? `?${text}` : '';
}
