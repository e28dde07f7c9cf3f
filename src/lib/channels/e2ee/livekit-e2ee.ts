// Encrypted media for one LiveKit Room: the per-participant key provider and livekit-client's
// E2EE worker (a real file from Vite's `?worker`: the CSP's worker-src 'self' refuses a
// blob: worker), and the key exchange wired to the room's people, attributes and data
// channel. Imported only by livekit-engine.ts, so none of it loads before a call starts.
import E2EEWorker from 'livekit-client/e2ee-worker?worker';
import { CryptorError, CryptorErrorReason, LoggerNames, RoomEvent, setLogLevel, type Participant, type RemoteParticipant, type Room } from 'livekit-client';
import { fromBase64Url, type DeviceKey } from './device-key.js';
import { KeyExchange, type KeyedPeer } from './key-exchange.js';
import { ParticipantKeyProvider } from './key-provider.js';
import type { CallPrivacy } from './call-privacy.svelte.js';

/** The participant attribute the API server sets from GetChannelToken's public_key. */
export const KEY_ATTRIBUTE = 'e2ee.pk';
/** The data channel topic of key envelopes. */
export const KEY_TOPIC = 'microclimate.e2ee.key';

// Frames that arrive before their sender's key (every join, for a moment) are errors to
// livekit-client's E2EE logger, one line each: they are counted instead (CallPrivacy).
setLogLevel('silent', LoggerNames.E2EE);

export interface RoomEncryption {
	readonly options: { keyProvider: ParticipantKeyProvider; worker: Worker };
	/** Before the room connects: envelopes that arrive before the exchange starts are kept. */
	listen(room: Room): void;
	/** Once the room is connected: encrypts, and starts the key exchange. */
	start(room: Room): Promise<void>;
	stop(): void;
}

function peerOf(p: RemoteParticipant): KeyedPeer {
	const key = fromBase64Url(p.attributes[KEY_ATTRIBUTE] ?? '');
	return { did: p.identity, publicKey: key?.length === 65 ? key : undefined };
}

export function roomEncryption(key: DeviceKey, privacy: CallPrivacy): RoomEncryption {
	const keyProvider = new ParticipantKeyProvider();
	const worker = new E2EEWorker();
	let exchange: KeyExchange | undefined;
	let early: [string, Uint8Array][] = [];
	let detach = () => {};
	// The sender's identity is LiveKit's (the SFU stamps it); a sender this room has not yet
	// seen join comes without a participant, by identity only.
	const onData = (payload: Uint8Array, from?: RemoteParticipant, _kind?: unknown, topic?: string, _encryption?: unknown, identity?: string) => {
		const sender = from?.identity ?? identity;
		if (topic !== KEY_TOPIC || !sender) return;
		if (exchange) void exchange.receive(sender, payload);
		else early.push([sender, payload]);
	};
	let unlisten = () => {};
	return {
		options: { keyProvider, worker },
		listen(room) {
			room.on(RoomEvent.DataReceived, onData);
			unlisten = () => room.off(RoomEvent.DataReceived, onData);
		},
		async start(room) {
			const x = (exchange = new KeyExchange({
				me: { did: room.localParticipant.identity, key },
				room: room.name,
				// Not the room sid: after LiveKit's own full reconnect one side may hold the old sid
				// and the other (a rejoin) the new one. The device keys, fresh on every join,
				// already make each pair key belong to one join of each person.
				call: 'livekit',
				links: {
					send: (to, payload) => room.localParticipant.publishData(payload, { reliable: true, destinationIdentities: [to], topic: KEY_TOPIC }),
					useKey: (did, material, index) => keyProvider.useKey(did, material, index),
					changed: () => {
						const names = new Map([...room.remoteParticipants.values()].map((p) => [p.identity, p.name || p.identity]));
						privacy.show(x.code, x.waitingFor.map((did) => ({ did, name: names.get(did) ?? did })));
					}
				}
			}));
			const people = () => void x.setPeople([...room.remoteParticipants.values()].map(peerOf));
			const attributes = (_changed: Record<string, string>, p: Participant) => p !== room.localParticipant && people();
			// Counted; and a person whose frames come under a key index we lack (a key change of
			// theirs was lost) is asked for it. livekit-client throttles these (5 a minute per
			// person): best effort, beside the exchange's own asks.
			const failed = (error: Error, p?: Participant) => {
				privacy.countDecryptError();
				if (error instanceof CryptorError && error.reason === CryptorErrorReason.MissingKey && p && p !== room.localParticipant) void x.missingKey(p.identity);
			};
			// Back after a lost connection: the others may have seen us leave (and forgotten our
			// key), and what we sent meanwhile was lost. Found by the fault suite: after 30 s
			// offline, bob waited for alice's key for good.
			const back = () => void x.rekey();
			room
				.on(RoomEvent.Reconnected, back)
				.on(RoomEvent.ParticipantConnected, people)
				.on(RoomEvent.ParticipantDisconnected, people)
				.on(RoomEvent.ParticipantAttributesChanged, attributes)
				.on(RoomEvent.EncryptionError, failed);
			detach = () => {
				room
					.off(RoomEvent.Reconnected, back)
					.off(RoomEvent.ParticipantConnected, people)
					.off(RoomEvent.ParticipantDisconnected, people)
					.off(RoomEvent.ParticipantAttributesChanged, attributes)
					.off(RoomEvent.EncryptionError, failed);
			};
			await room.setE2EEEnabled(true);
			await x.setPeople([...room.remoteParticipants.values()].map(peerOf));
			for (const [from, payload] of early) void x.receive(from, payload);
			early = [];
		},
		stop() {
			unlisten();
			detach();
			exchange?.close();
			exchange = undefined;
			worker.terminate();
			privacy.reset();
		}
	};
}
