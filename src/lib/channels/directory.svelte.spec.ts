import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import {
	ChannelSchema,
	ChannelsService,
	ParticipantSchema,
	type WatchChannelsResponse
} from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { ChannelDirectory } from './directory.svelte.js';
import type { ChannelView } from './channel-list.js';

const alice = { did: 'did:plc:alice', handle: 'alice.test', muted: false, displayName: 'Alice Liddell', avatarUrl: 'https://cdn.example/alice.jpg' };
const bob = { did: 'did:plc:bob', handle: 'bob.test', muted: false, displayName: '', avatarUrl: '' };

function snapshot(people: (typeof alice)[]): WatchChannelsResponse['event'] {
	return {
		case: 'snapshot',
		value: {
			$typeName: 'microclimate.channels.v1.ChannelsSnapshot',
			channels: [
				create(ChannelSchema, { id: 'lobby', name: 'Lobby', participants: people.map((p) => create(ParticipantSchema, p)) }),
				create(ChannelSchema, { id: 'music', name: 'Music' })
			]
		}
	};
}

type Script = (signal: AbortSignal) => AsyncGenerator<WatchChannelsResponse['event']>;

/** A ChannelsService whose n-th WatchChannels call plays scripts[n]. */
function directoryWith(
	scripts: Script[],
	renew = vi.fn(async (): Promise<string | undefined> => 'new-jwt'),
	setup: { remember?: (channels: ChannelView[]) => void; before?: (d: ChannelDirectory) => void } = {}
) {
	let calls = 0;
	const transport = createRouterTransport(({ service }) => {
		service(ChannelsService, {
			async *watchChannels(_req, ctx) {
				const script = scripts[Math.min(calls++, scripts.length - 1)]!;
				for await (const event of script(ctx.signal)) yield { event };
			}
		});
	});
	const events = new EventTarget();
	const directory = new ChannelDirectory();
	setup.before?.(directory);
	const stop = directory.start({
		client: createClient(ChannelsService, transport),
		renew,
		backoff: { baseMs: 40, maxMs: 80, random: () => 0 },
		events,
		isOnline: () => true,
		remember: setup.remember
	});
	return { directory, stop, events, renew, calls: () => calls };
}

const forever = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('ChannelDirectory', () => {
	let stop: (() => void) | undefined;
	beforeEach(() => {
		stop = undefined;
	});
	afterEach(() => stop?.());

	it('shows the snapshot, then each change, and says it is live', async () => {
		const d = directoryWith([
			async function* (signal) {
				yield snapshot([alice]);
				yield { case: 'joined', value: { $typeName: 'microclimate.channels.v1.ParticipantJoined', channelId: 'lobby', participant: create(ParticipantSchema, bob) } };
				yield { case: 'updated', value: { $typeName: 'microclimate.channels.v1.ParticipantUpdated', channelId: 'lobby', participant: create(ParticipantSchema, { ...alice, muted: true }) } };
				await forever(signal);
			}
		]);
		stop = d.stop;
		await vi.waitFor(() => expect(d.directory.channels?.[0]?.people).toHaveLength(2));
		expect(d.directory.channels?.[0]?.people).toEqual([{ ...alice, muted: true }, bob]);
		expect(d.directory.status).toBe('live');
	});

	it('resumes a dropped stream and replaces the list with the new snapshot (no stale people)', async () => {
		const d = directoryWith([
			async function* () {
				yield snapshot([alice, bob]);
				throw new ConnectError('gone', Code.Unavailable);
			},
			async function* (signal) {
				yield snapshot([bob]);
				await forever(signal);
			}
		]);
		stop = d.stop;
		await vi.waitFor(() => expect(d.calls()).toBe(2));
		await vi.waitFor(() => expect(d.directory.channels?.[0]?.people).toEqual([bob]));
		expect(d.directory.status).toBe('live');
	});

	describe('the last known list', () => {
		const known: ChannelView[] = [
			{ id: 'lobby', name: 'Lobby', people: [bob] },
			{ id: 'gone', name: 'Gone since', people: [] }
		];

		it('shows before the stream, marked as last known, and the first snapshot replaces it whole', async () => {
			let open!: () => void;
			const opened = new Promise<void>((r) => (open = r));
			const d = directoryWith(
				[
					async function* (signal) {
						await opened;
						yield snapshot([alice]);
						await forever(signal);
					}
				],
				undefined,
				{ before: (directory) => directory.showLastKnown(known, 1234) }
			);
			stop = d.stop;
			expect(d.directory.channels).toEqual(known);
			expect(d.directory.source).toBe('last-known');
			expect(d.directory.savedAt).toBe(1234);
			expect(d.directory.status).not.toBe('live');
			open();
			await vi.waitFor(() => expect(d.directory.source).toBe('stream'));
			expect(d.directory.channels?.map((c) => c.id)).toEqual(['lobby', 'music']);
			expect(d.directory.channels?.[0]?.people).toEqual([alice]);
			expect(d.directory.savedAt).toBeUndefined();
			expect(d.directory.status).toBe('live');
		});

		it('never covers a list from the stream', async () => {
			const d = directoryWith([
				async function* (signal) {
					yield snapshot([alice]);
					await forever(signal);
				}
			]);
			stop = d.stop;
			await vi.waitFor(() => expect(d.directory.source).toBe('stream'));
			d.directory.showLastKnown(known, 1234);
			expect(d.directory.source).toBe('stream');
			expect(d.directory.channels?.[0]?.people).toEqual([alice]);
		});

		it('hands every live change to `remember`, and nothing before the stream is live', async () => {
			const remember = vi.fn();
			const d = directoryWith(
				[
					async function* (signal) {
						yield snapshot([alice]);
						yield { case: 'left', value: { $typeName: 'microclimate.channels.v1.ParticipantLeft', channelId: 'lobby', did: alice.did } };
						await forever(signal);
					}
				],
				undefined,
				{ remember, before: (directory) => directory.showLastKnown(known, 1234) }
			);
			stop = d.stop;
			await vi.waitFor(() => expect(remember).toHaveBeenCalledTimes(2));
			expect(remember.mock.calls[0]![0][0].people).toEqual([alice]);
			expect(remember.mock.calls[1]![0][0].people).toEqual([]);
		});
	});

	it('says "reconnecting" while the stream is down', async () => {
		const d = directoryWith([
			async function* () {
				yield snapshot([alice]);
				throw new ConnectError('gone', Code.Unavailable);
			},
			async function* () {
				throw new ConnectError('still gone', Code.Unavailable);
			}
		]);
		stop = d.stop;
		await vi.waitFor(() => expect(d.calls()).toBeGreaterThan(1));
		expect(d.directory.status).toBe('reconnecting');
		expect(d.directory.channels?.[0]?.people).toEqual([alice]);
	});

	it('renews the session when the stream is refused as UNAUTHENTICATED, then resumes', async () => {
		const d = directoryWith([
			async function* () {
				throw new ConnectError('expired', Code.Unauthenticated);
			},
			async function* (signal) {
				yield snapshot([alice]);
				await forever(signal);
			}
		]);
		stop = d.stop;
		await vi.waitFor(() => expect(d.directory.status).toBe('live'));
		expect(d.renew).toHaveBeenCalledOnce();
	});

	it('a stream refused because its JWT expired (while it was down) reopens at once once renewed, not after the backoff', async () => {
		// A backoff far longer than a JWT's life: waiting it out before reopening, the renewed JWT
		// would have expired again by then, and the list would never come back.
		const transport = createRouterTransport(({ service }) => {
			service(ChannelsService, {
				async *watchChannels(_req, ctx) {
					if (renew.mock.calls.length === 0) throw new ConnectError('session expired', Code.Unauthenticated);
					yield { event: snapshot([alice]) };
					await forever(ctx.signal);
				}
			});
		});
		const renew = vi.fn(async (): Promise<string | undefined> => 'new-jwt');
		const directory = new ChannelDirectory();
		stop = directory.start({ client: createClient(ChannelsService, transport), renew, backoff: { baseMs: 60_000, maxMs: 60_000 }, events: new EventTarget(), isOnline: () => true });
		await vi.waitFor(() => expect(directory.status).toBe('live'), { timeout: 1000 });
		expect(renew).toHaveBeenCalledOnce();
	});

	it('refused again with a JWT renewed just now, it backs off instead of renewing in a loop', async () => {
		let calls = 0;
		const transport = createRouterTransport(({ service }) => {
			service(ChannelsService, {
				async *watchChannels() {
					calls++;
					throw new ConnectError('session expired', Code.Unauthenticated);
				}
			});
		});
		const renew = vi.fn(async (): Promise<string | undefined> => 'new-jwt');
		const directory = new ChannelDirectory();
		stop = directory.start({ client: createClient(ChannelsService, transport), renew, backoff: { baseMs: 60_000, maxMs: 60_000 }, events: new EventTarget(), isOnline: () => true });
		await vi.waitFor(() => expect(calls).toBe(2));
		await new Promise((r) => setTimeout(r, 200));
		expect(calls).toBe(2);
		expect(renew).toHaveBeenCalledTimes(2);
		expect(directory.status).toBe('reconnecting');
	});

	it('when a live stream ends because its session expired, renews and resumes at once without leaving "live"', async () => {
		let snapshots = 0;
		const d = directoryWith(
			[
				async function* () {
					yield snapshot([alice]);
					snapshots++;
					await new Promise((r) => setTimeout(r, 30)); // live for a while, then the session expires
					throw new ConnectError('your session expired', Code.Unauthenticated);
				},
				async function* (signal) {
					yield snapshot([alice, bob]);
					snapshots++;
					await forever(signal);
				}
			],
			vi.fn(async () => 'new-jwt')
		);
		stop = d.stop;
		const seen: string[] = [];
		const watch = setInterval(() => seen.push(d.directory.status), 1);
		await vi.waitFor(() => expect(snapshots).toBe(2));
		clearInterval(watch);
		expect(d.renew).toHaveBeenCalledOnce();
		expect(d.directory.channels?.[0]?.people).toEqual([alice, bob]);
		expect(seen).toContain('live');
		expect(seen.slice(seen.indexOf('live'))).not.toContain('reconnecting');
	});

	it('does not renew while the browser is offline; renews once it is back online', async () => {
		let online = false;
		const transport = createRouterTransport(({ service }) => {
			service(ChannelsService, {
				async *watchChannels(_req, ctx) {
					// The expired session is refused until it has been renewed.
					if (renew.mock.calls.length === 0) throw new ConnectError('your session expired', Code.Unauthenticated);
					yield { event: snapshot([alice]) };
					await forever(ctx.signal);
				}
			});
		});
		const renew = vi.fn(async (): Promise<string | undefined> => 'new-jwt');
		const events = new EventTarget();
		const directory = new ChannelDirectory();
		stop = directory.start({ client: createClient(ChannelsService, transport), renew, backoff: { baseMs: 20, maxMs: 40, random: () => 0 }, events, isOnline: () => online });
		await new Promise((r) => setTimeout(r, 150));
		expect(renew).not.toHaveBeenCalled();
		expect(directory.status).toBe('offline');
		online = true;
		events.dispatchEvent(new Event('online'));
		await vi.waitFor(() => expect(directory.status).toBe('live'));
		expect(renew).toHaveBeenCalledOnce();
	});

	it('stops when renewal says the session ended', async () => {
		const d = directoryWith(
			[
				async function* () {
					throw new ConnectError('expired', Code.Unauthenticated);
				}
			],
			vi.fn(async () => undefined)
		);
		stop = d.stop;
		await vi.waitFor(() => expect(d.renew).toHaveBeenCalledOnce());
		await new Promise((r) => setTimeout(r, 200));
		expect(d.calls()).toBe(1);
	});

	it('resumes at once when the browser comes back online', async () => {
		// A long backoff: only the online event can bring it back within the test.
		const slow = new ChannelDirectory();
		let calls = 0;
		const transport = createRouterTransport(({ service }) => {
			service(ChannelsService, {
				async *watchChannels(_req, ctx) {
					if (calls++ === 0) throw new ConnectError('offline', Code.Unavailable);
					yield { event: snapshot([alice]) };
					await forever(ctx.signal);
				}
			});
		});
		const events = new EventTarget();
		stop = slow.start({ client: createClient(ChannelsService, transport), renew: async () => 'x', backoff: { baseMs: 60_000, maxMs: 60_000 }, events, isOnline: () => true });
		await vi.waitFor(() => expect(calls).toBe(1));
		await new Promise((r) => setTimeout(r, 20));
		events.dispatchEvent(new Event('online'));
		await vi.waitFor(() => expect(slow.status).toBe('live'), { timeout: 500 });
	});

	it('treats a silent stream (no heartbeat) as dead and resumes it', async () => {
		let calls = 0;
		const transport = createRouterTransport(({ service }) => {
			service(ChannelsService, {
				async *watchChannels(_req, ctx) {
					calls++;
					yield { event: snapshot(calls === 1 ? [alice] : [bob]) };
					await forever(ctx.signal);
				}
			});
		});
		const d = new ChannelDirectory();
		stop = d.start({ client: createClient(ChannelsService, transport), renew: async () => 'x', silenceMs: 50, backoff: { baseMs: 10, maxMs: 10 }, events: new EventTarget(), isOnline: () => true });
		await vi.waitFor(() => expect(d.channels?.[0]?.people).toEqual([bob]));
	});

	describe('backoff against a proxy that closes each stream right after its snapshot', () => {
		beforeEach(() => vi.useFakeTimers());
		afterEach(() => vi.useRealTimers());

		/** A server whose streams last `lifeMs(n)` after their snapshot; records when each opened. */
		function closingServer(lifeMs: (n: number) => number) {
			const opened: number[] = [];
			const transport = createRouterTransport(({ service }) => {
				service(ChannelsService, {
					async *watchChannels() {
						opened.push(Date.now());
						yield { event: snapshot([alice]) };
						const life = lifeMs(opened.length);
						if (life) await new Promise((r) => setTimeout(r, life));
					}
				});
			});
			const d = new ChannelDirectory();
			stop = d.start({
				client: createClient(ChannelsService, transport),
				renew: async () => 'x',
				backoff: { baseMs: 500, maxMs: 15_000, random: () => 0 },
				events: new EventTarget(),
				isOnline: () => true
			});
			return opened;
		}

		it('keeps backing off: a snapshot alone does not reset the delay', async () => {
			const opened = closingServer(() => 0);
			await vi.advanceTimersByTimeAsync(20_000);
			// Delays 250, 500, 1000, 2000, 4000, 7500 ms: 6 reopenings in 20 s, not one every 250 ms.
			expect(opened.length).toBeLessThanOrEqual(7);
			const gaps = opened.slice(1).map((t, i) => t - opened[i]!);
			expect(gaps.slice(0, 5)).toEqual([250, 500, 1000, 2000, 4000]);
		});

		it('starts the backoff over once a stream stayed up 30 s', async () => {
			// Streams 1-3 close at once, stream 4 stays up 30 s, the rest close at once.
			const opened = closingServer((n) => (n === 4 ? 30_000 : 0));
			await vi.advanceTimersByTimeAsync(1750 + 30_000 + 250 + 10);
			const gaps = opened.slice(1).map((t, i) => t - opened[i]!);
			expect(gaps).toEqual([250, 500, 1000, 30_000 + 250]);
		});
	});
});
