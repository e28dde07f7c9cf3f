import { describe, expect, it } from 'vitest';
import { KeyProviderEvent } from 'livekit-client';
import { ParticipantKeyProvider } from './key-provider.js';
import { importMaterial } from './key-exchange.js';

describe('the per-participant key provider', () => {
	it('hands livekit-client one key per participant and index, with no ratcheting', async () => {
		const provider = new ParticipantKeyProvider();
		expect(provider.getOptions()).toMatchObject({ sharedKey: false, ratchetWindowSize: 0, failureTolerance: -1, keyringSize: 16 });
		const set: [string | undefined, number | undefined, boolean][] = [];
		provider.on(KeyProviderEvent.SetKey, (info, current) => set.push([info.participantIdentity, info.keyIndex, current ?? false]));
		const a = await importMaterial(crypto.getRandomValues(new Uint8Array(32)));
		const b = await importMaterial(crypto.getRandomValues(new Uint8Array(32)));
		provider.useKey('did:plc:alice', a, 3);
		provider.useKey('did:plc:bob', b, 3);
		expect(set).toEqual([
			['did:plc:alice', 3, true],
			['did:plc:bob', 3, true]
		]);
		expect(provider.getKeys().map((k) => [k.participantIdentity, k.keyIndex, k.key])).toEqual([
			['did:plc:alice', 3, a],
			['did:plc:bob', 3, b]
		]);
	});
});
