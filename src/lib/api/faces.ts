// How a person's face is shown: their avatar only from the one image service this build
// allows (PUBLIC_AVATAR_ORIGIN, the CSP's img-src; a server sending any other URL gets the
// initial instead of a CSP error), and their display name as plain, cleaned text. The
// server already cleans names; this is the client's own guard against a server that
// does not (any server a person connects to can send anything).
import { PUBLIC_AVATAR_ORIGIN } from '$env/static/public';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]/g;
const NAME_MAX = 64;

/** The avatar URL when it is at the allowed image service, else undefined (show the initial). */
export function avatarSrc(url: string | undefined, allowedOrigin: string = PUBLIC_AVATAR_ORIGIN): string | undefined {
	if (!url || !allowedOrigin) return undefined;
	try {
		const parsed = new URL(url);
		return parsed.origin === new URL(allowedOrigin).origin ? parsed.href : undefined;
	} catch {
		return undefined;
	}
}

/** A display name fit to show next to the handle; '' when there is none. */
export function displayName(name: string | undefined): string {
	if (!name) return '';
	const text = name.replace(UNSAFE, '').replace(/\s+/g, ' ').trim();
	return [...text].slice(0, NAME_MAX * 4).join('').trim();
}

/** The letter shown when there is no avatar: the name's first character, else the handle's. */
export function initialOf(name: string, handle: string): string {
	return ([...(name || handle)][0] ?? '?').toUpperCase();
}
