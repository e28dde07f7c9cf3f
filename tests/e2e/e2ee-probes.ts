// Probes for the encrypted-call e2e tests, all on the test's side (the app carries no hook):
// - which media keys an app page hands to livekit-client's E2EE worker (the raw bytes, read
//   where the page imports them, matched to the worker's `setKey` message), so a test can
//   give an old or the current key to a participant of its own;
// - that participant: livekit-client (the same package) with E2EE on, a key provider the test
//   fills, and the E2EE worker, on a blank page of its own, with a token the test signs;
// - the encoded audio frames a page receives (Chromium's encoded streams), to look for
//   LiveKit's frame trailer, and those of a plain call between two local peer connections.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { AccessToken } from 'livekit-server-sdk';
import { installAudioProbes } from './voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';

const LIVEKIT = join(import.meta.dirname, '..', '..', 'node_modules', 'livekit-client', 'dist');

/**
 * A blank page with livekit-client loaded, served from loopback by the test (a page Playwright
 * fulfils itself counts as a public address to Chromium, which then refuses its requests to
 * the loopback LiveKit), with the E2EE worker beside it at /e2ee-worker.js.
 */
async function blankLiveKitPage(browser: Browser, mic?: 'refused'): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
	const worker = readFileSync(join(LIVEKIT, 'livekit-client.e2ee.worker.js'));
	const server = http.createServer((req, res) => {
		if (req.url === '/e2ee-worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
		else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>test participant</title>');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const context = await browser.newContext();
	if (mic) await installAudioProbes(context, mic);
	const page = await context.newPage();
	await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
	await page.addScriptTag({ content: readFileSync(join(LIVEKIT, 'livekit-client.umd.js'), 'utf8') });
	return {
		context,
		page,
		async close() {
			await context.close();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

/** A media key as the page gave it to the E2EE worker. */
export interface MediaKeyUse {
	identity: string;
	/** Our own (the key this page encrypts with from now on) or someone else's. */
	own: boolean;
	index: number;
	raw: number[];
}

declare global {
	interface Window {
		__mediaKeys: MediaKeyUse[];
	}
}

/**
 * Records every media key the context's pages hand to livekit-client's E2EE worker. The key
 * exchange imports each random media key as HKDF material (key-exchange.ts importMaterial)
 * and the key provider passes that CryptoKey to the worker: the raw bytes are kept per
 * imported CryptoKey, and looked up when the worker is told to use it, in order.
 */
export async function recordMediaKeys(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		if (!location.protocol.startsWith('http')) return;
		window.__mediaKeys = [];
		const raws = new WeakMap<CryptoKey, number[]>();
		const importKey = SubtleCrypto.prototype.importKey as (...args: unknown[]) => Promise<CryptoKey>;
		SubtleCrypto.prototype.importKey = async function (this: SubtleCrypto, ...args: unknown[]) {
			const key = await importKey.apply(this, args);
			const [format, data, algorithm] = args as [string, BufferSource, AlgorithmIdentifier];
			const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
			if (format === 'raw' && name === 'HKDF') {
				const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
				raws.set(key, [...bytes]);
			}
			return key;
		} as typeof SubtleCrypto.prototype.importKey;
		const postMessage = Worker.prototype.postMessage as (this: Worker, ...args: unknown[]) => void;
		Worker.prototype.postMessage = function (this: Worker, ...args: unknown[]) {
			const m = args[0] as { kind?: string; data?: { participantIdentity: string; isPublisher: boolean; key: CryptoKey; keyIndex: number } };
			const raw = m?.kind === 'setKey' && m.data ? raws.get(m.data.key) : undefined;
			if (raw && m.data) window.__mediaKeys.push({ identity: m.data.participantIdentity, own: m.data.isPublisher, index: m.data.keyIndex, raw });
			return postMessage.apply(this, args);
		} as typeof Worker.prototype.postMessage;
	});
}

/** The media keys `page` has used for itself so far, oldest first. */
export function ownKeys(page: Page): Promise<MediaKeyUse[]> {
	return page.evaluate(() => window.__mediaKeys.filter((k) => k.own));
}

export interface Listener {
	context: BrowserContext;
	page: Page;
	/** Closes the page and its server, without leaving the room first. */
	close(): Promise<void>;
	/** Installs `raw` as `identity`'s media key at every key index (whatever index its frames carry). */
	giveKey(identity: string, raw: number[]): Promise<void>;
	/** Audio packets received so far (inbound-rtp). */
	packets(): Promise<number>;
	leave(): Promise<void>;
}

/**
 * A participant of the test's own in `room`: livekit-client with E2EE on (the same options as
 * the app's key provider: per-participant keys, ratchet window 0, no failure limit), no key
 * of its own and no public key (nobody seals a key to it), a token the test signs. It plays
 * what it receives, so `receivedPeak` (voice-audio.ts) reads the tone it hears.
 */
export async function keyedListener(browser: Browser, stack: StackInfo, room: string): Promise<Listener> {
	const { context, page, close } = await blankLiveKitPage(browser, 'refused');
	const at = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { identity: 'did:example:listener', name: 'listener.test', ttl: 300 });
	at.addGrant({ roomJoin: true, room, canSubscribe: true, canPublish: false, canPublishData: false });
	await page.evaluate(
		async ({ url, token }) => {
			const LK = (window as unknown as { LivekitClient: typeof import('livekit-client') }).LivekitClient;
			// Frames whose key it lacks are what this participant is for: not one error line each.
			LK.setLogLevel('silent', LK.LoggerNames.E2EE);
			class TestKeys extends LK.BaseKeyProvider {
				constructor() {
					super({ sharedKey: false, ratchetWindowSize: 0, failureTolerance: -1, keyringSize: 16 });
				}
				async give(identity: string, raw: number[]) {
					const material = await crypto.subtle.importKey('raw', new Uint8Array(raw), 'HKDF', false, ['deriveBits', 'deriveKey']);
					for (let i = 0; i < 16; i++) this.onSetEncryptionKey(material, identity, i);
				}
			}
			const keys = new TestKeys();
			const room = new LK.Room({ e2ee: { keyProvider: keys, worker: new Worker('/e2ee-worker.js') } });
			const w = window as unknown as { __keys: TestKeys; __room: typeof room };
			w.__keys = keys;
			w.__room = room;
			room.on(LK.RoomEvent.TrackSubscribed, (track) => void (track.kind === 'audio' && track.attach()));
			await room.connect(url, token);
			await room.setE2EEEnabled(true);
		},
		{ url: stack.livekit.url, token: await at.toJwt() }
	);
	return {
		context,
		page,
		close,
		giveKey: (identity, raw) => page.evaluate(({ identity, raw }) => (window as unknown as { __keys: { give(i: string, r: number[]): Promise<void> } }).__keys.give(identity, raw), { identity, raw }),
		packets: () =>
			page.evaluate(async () => {
				let n = 0;
				for (const pc of window.__pcs) (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => s.type === 'inbound-rtp' && s.kind === 'audio' && (n += s.packetsReceived ?? 0));
				return n;
			}),
		leave: async () => {
			await page.evaluate(() => (window as unknown as { __room: { disconnect(): Promise<void> } }).__room.disconnect());
			await close();
		}
	};
}

/** One encoded audio frame as a receiver got it: its bytes and its RTP timestamp. */
export interface EncodedFrame {
	bytes: number[];
	rtpTimestamp: number;
}

export interface FrameReader {
	context: BrowserContext;
	page: Page;
	/**
	 * Joins `room` as `identity` (plain livekit-client, no E2EE); keeps the first frames each
	 * received audio track brings, by sender. `tone`: also publishes a plain tone of that frequency.
	 */
	join(room: string, identity: string, tone?: number): Promise<void>;
	/** The frames received from `identity` so far. */
	frames(identity: string): Promise<EncodedFrame[]>;
	close(): Promise<void>;
}

/**
 * Chromium only: a page whose peer connections all run their received audio through encoded
 * streams (`encodedInsertableStreams`, as livekit-client's own E2EE does in Chromium), where the
 * test reads each frame as the network delivered it, before the decoder.
 */
export async function frameReader(browser: Browser, stack: StackInfo): Promise<FrameReader> {
	const { context, page, close } = await blankLiveKitPage(browser);
	await page.evaluate(() => {
		// Only the connections that read frames: a sender of such a connection would have to run
		// its frames through encoded streams too, or Chromium sends none.
		const Real = window.RTCPeerConnection;
		// (No #private field: this function runs in the page as Playwright compiled it.)
		const encoded = new WeakMap<RTCPeerConnection, boolean>();
		window.RTCPeerConnection = class extends Real {
			constructor(config?: RTCConfiguration) {
				const on = !(window as unknown as { __publishing?: boolean }).__publishing;
				super({ ...config, encodedInsertableStreams: on } as RTCConfiguration);
				encoded.set(this, on);
			}
			// livekit-client sets the configuration again later: the flag may not change.
			override setConfiguration(config?: RTCConfiguration): void {
				super.setConfiguration({ ...config, encodedInsertableStreams: encoded.get(this) } as RTCConfiguration);
			}
		} as typeof RTCPeerConnection;
		(window as unknown as { __frames: Record<string, EncodedFrame[]>; __rooms: unknown[] }).__frames = {};
		(window as unknown as { __rooms: unknown[] }).__rooms = [];
	});
	const sign = (room: string, identity: string, publish: boolean) => {
		const at = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { identity, ttl: 300 });
		at.addGrant({ roomJoin: true, room, canSubscribe: true, canPublish: publish, canPublishData: false });
		return at.toJwt();
	};
	return {
		context,
		page,
		async join(room, identity, tone) {
			await page.evaluate(
				async ({ url, token, tone }) => {
					const LK = (window as unknown as { LivekitClient: typeof import('livekit-client') }).LivekitClient;
					const w = window as unknown as { __frames: Record<string, EncodedFrame[]>; __rooms: { disconnect(): Promise<void> }[] };
					const r = new LK.Room();
					w.__rooms.push(r);
					(window as unknown as { __publishing?: boolean }).__publishing = !!tone;
					r.on(LK.RoomEvent.TrackSubscribed, (track, _pub, p) => {
						const receiver = track.receiver as (RTCRtpReceiver & { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }) | undefined;
						if (track.kind !== 'audio' || !receiver) return;
						const kept = (w.__frames[p.identity] ??= []);
						const { readable, writable } = receiver.createEncodedStreams();
						void readable
							.pipeThrough(
								new TransformStream<RTCEncodedAudioFrame, RTCEncodedAudioFrame>({
									transform(frame, out) {
										if (kept.length < 200 && frame.data.byteLength > 0) {
											const meta = frame.getMetadata() as { rtpTimestamp?: number };
											kept.push({ bytes: [...new Uint8Array(frame.data)], rtpTimestamp: meta.rtpTimestamp ?? frame.timestamp });
										}
										out.enqueue(frame);
									}
								})
							)
							.pipeTo(writable);
					});
					await r.connect(url, token);
					if (tone) {
						const ctx = new AudioContext();
						const osc = ctx.createOscillator();
						osc.frequency.value = tone;
						const dest = ctx.createMediaStreamDestination();
						osc.connect(dest);
						osc.start();
						await r.localParticipant.publishTrack(new LK.LocalAudioTrack(dest.stream.getAudioTracks()[0]!), { source: LK.Track.Source.Microphone });
					}
				},
				{ url: stack.livekit.url, token: await sign(room, identity, !!tone), tone }
			);
		},
		frames: (identity) => page.evaluate((identity) => (window as unknown as { __frames: Record<string, EncodedFrame[]> }).__frames[identity] ?? [], identity),
		async close() {
			await page.evaluate(async () => {
				for (const r of (window as unknown as { __rooms: { disconnect(): Promise<void> }[] }).__rooms) await r.disconnect();
			});
			await close();
		}
	};
}

/** LiveKit's frame trailer (FrameCryptor.ts): payload | IV (12 bytes) | IV length (12) | key index. */
export interface Trailer {
	ivLength: number;
	keyIndex: number;
	/** The IV's first word (the sender's SSRC) and second (the sender's RTP timestamp). */
	ivSsrc: number;
	ivTimestamp: number;
}

/** Reads the last bytes of a frame as LiveKit's E2EE trailer would be laid out. */
export function trailerOf(frame: EncodedFrame): Trailer {
	const b = Buffer.from(frame.bytes);
	const n = b.length;
	return { ivLength: b[n - 2]!, keyIndex: b[n - 1]!, ivSsrc: n >= 14 ? b.readUInt32BE(n - 14) : -1, ivTimestamp: n >= 10 ? b.readUInt32BE(n - 10) : -1 };
}
