// What a person types as "who am I": a handle in any of the shapes people use (with "@",
// spaces, capitals) or a DID. Rejected before any network call, so a typo never reaches a
// resolver or a PDS.

export type HandleResult = { ok: true; value: string } | { ok: false; message: string };

const HANDLE_HINT = 'A handle looks like alice.bsky.social (or a DID such as did:plc:…).';
// ATProto handle syntax: dot-separated labels, 253 chars max, TLD not starting with a digit.
const HANDLE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DID = /^did:(plc:[a-z2-7]{24}|web:[a-z0-9.%-]+(:[a-z0-9.%_-]+)*)$/;

export function normaliseHandle(input: string): HandleResult {
	let text = input.trim();
	if (text === '') return { ok: false, message: `Enter your handle. ${HANDLE_HINT}` };
	if (/^did:/i.test(text)) {
		const did = text.replace(/^did:([a-z]+):/i, (m) => m.toLowerCase());
		return DID.test(did) ? { ok: true, value: did } : { ok: false, message: `That DID is not valid. ${HANDLE_HINT}` };
	}
	if (text.startsWith('@')) text = text.slice(1);
	text = text.toLowerCase();
	if (text.length > 253 || !HANDLE.test(text)) {
		return { ok: false, message: `"${input.trim()}" is not a handle. ${HANDLE_HINT}` };
	}
	return { ok: true, value: text };
}
