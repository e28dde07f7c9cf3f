// The call code everyone in a call compares aloud (like Discord's voice privacy code): 30
// digits in six groups of five, from SHA-256 over the sorted list of (DID, public key) of
// everyone in the call. Equal codes mean everyone's app holds the same keys for the same
// people, so a server that showed different keys to different people is caught; it changes
// whenever someone joins or leaves. See the README's "Encrypted calls" for what it does not prove.
import { framed, utf8 } from './device-key.js';

export interface KeyedPerson {
	readonly did: string;
	readonly publicKey: Uint8Array;
}

const LABEL = 'microclimate e2ee v1 call code';
const GROUPS = 6;

export async function callCode(people: readonly KeyedPerson[], subtle: SubtleCrypto = crypto.subtle): Promise<string> {
	const sorted = [...people].sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
	const list = framed([utf8(LABEL), ...sorted.flatMap((p) => [utf8(p.did), p.publicKey])]);
	const digest = new Uint8Array(await subtle.digest('SHA-256', list));
	const groups: string[] = [];
	for (let g = 0; g < GROUPS; g++) {
		// Five bytes (40 bits) per group: the modulo's bias is below 1e-7.
		let n = 0;
		for (let i = 0; i < 5; i++) n = n * 256 + digest[g * 5 + i]!;
		groups.push(String(n % 100_000).padStart(5, '0'));
	}
	return groups.join(' ');
}
