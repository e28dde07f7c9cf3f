// One call across the replicated stack: alice in zone 1 (API replica 1, LiveKit node 1),
// bob in zone 2 (API replica 2, LiveKit node 2), and a watcher in zone 1 whose channel list
// streams from replica 1. Then the faults: replica 1 killed mid-call, LiveKit node 2
// killed mid-call, Redis restarted, Redis emptied. Which replica and node served whom is read from the
// parts' own records (topology.ts), never from a hook in the server.
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { sendControl } from '../../scripts/stack/control.ts';
import { test, expect } from '../e2e/fixtures.ts';
import type { PageErrors } from '../e2e/fixtures.ts';
import { escapeRegExp, livekitOutageLogs } from '../e2e/page-errors.ts';
import { energyGrowth, nearTone, receivedPeak } from '../e2e/voice-audio.ts';
import type { StackInfo } from '../../scripts/stack/index.ts';
import { scriptSignInThrough } from './sign-in-script.ts';
import { GET_CHANNEL_TOKEN, countRpc, envoyHostStats, hostHealth, hostOf, personInZone, replicaLog, watchFor, zoneOf, type Person } from './topology.ts';

const stack = JSON.parse(readFileSync(joinPath(import.meta.dirname, '..', '..', '.stack', 'stack.json'), 'utf8')) as StackInfo;
const ALICE = 440;
const BOB = 880;
const LOBBY = { id: 'lobby', name: /Lobby/ };
const MUSIC = { id: 'music', name: /Music/ };
type Channel = typeof LOBBY;
const card = (p: Person, channel: Channel) => p.page.locator(`[data-channel="${channel.id}"]`);
const inChannel = (p: Person, handle: string, channel: Channel = LOBBY) => card(p, channel).locator('.person', { hasText: `@${handle}` });
const inLobby = (p: Person, handle: string) => inChannel(p, handle);

async function join(p: Person, channel: Channel = LOBBY, timeout = 30_000): Promise<void> {
	await card(p, channel).getByRole('button', { name: channel.name }).click();
	await expect(p.page.getByTestId('call-status')).toHaveText('Connected', { timeout });
}

/** Energy each of `a` and `b` hears, sampled back to back in windows of 0.5 s for `ms`. */
async function energySamples(a: Person, b: Person, ms: number): Promise<number[]> {
	const samples: number[] = [];
	const from = Date.now();
	while (Date.now() - from < ms) samples.push(...(await Promise.all([energyGrowth(a.page, 500), energyGrowth(b.page, 500)])));
	return samples;
}

async function hearEachOther(a: Person, aTone: number, b: Person, bTone: number, timeout = 60_000): Promise<void> {
	await expect.poll(async () => nearTone(await receivedPeak(b.page), aTone), { timeout, intervals: [200] }).toBe(true);
	await expect.poll(async () => nearTone(await receivedPeak(a.page), bTone), { timeout, intervals: [200] }).toBe(true);
	expect(await energyGrowth(a.page)).toBeGreaterThan(0.01);
	expect(await energyGrowth(b.page)).toBeGreaterThan(0.01);
}

const joinedWebhooks = (stack: StackInfo, k: 1 | 2) => replicaLog(stack, k).filter((l) => l.msg === 'webhook' && l.event === 'participant_joined' && l.room === 'lobby');

/**
 * The browser's reports of a LiveKit node or door that is down, and livekit-client's log of it
 * (a reconnect through a door whose node just died can fail while its socket opens).
 */
function expectLiveKitOutage(pageErrors: PageErrors, ...wsUrls: string[]): void {
	for (const url of wsUrls) {
		const host = escapeRegExp(hostOf(url));
		pageErrors.expectFailedSocket(new RegExp(`wss?://${host}/rtc\\b.*`));
		pageErrors.expectFailedRequest(new RegExp(`https?://${host}/.*`));
	}
	pageErrors.expect(livekitOutageLogs('lobby'));
	pageErrors.expect(/^could not (re)?connect.* \{room: lobby[,}]/);
}

test.describe.configure({ mode: 'serial' });

test.describe('one call across two API replicas and two LiveKit nodes', () => {
	let alice: Person;
	let bob: Person;
	let watcher: Person;

	test.beforeAll(async ({ browser }) => {
		// Three PDS sign-ins on a stack of twice the parts: slow on a busy 2-core machine.
		test.setTimeout(240_000);
		watcher = await personInZone(browser, stack, 'alice.test', 1);
		alice = await personInZone(browser, stack, 'alice.test', 1, { tone: ALICE });
		bob = await personInZone(browser, stack, 'bob.test', 2, { tone: BOB });
		await expect(watcher.page.getByTestId('directory-status')).toHaveText('Live');
	});

	test.afterAll(async () => {
		for (const p of [alice, bob, watcher]) await p?.context.close();
	});

	test('bob joins through replica 2 and LiveKit node 2; the watcher, streaming from replica 1, shows the join LiveKit reported to replica 2 within 500 ms', async () => {
		const z1 = zoneOf(stack, 1);
		const z2 = zoneOf(stack, 2);
		const tokens = [countRpc(stack, 1, GET_CHANNEL_TOKEN), countRpc(stack, 2, GET_CHANNEL_TOKEN)];
		const hooks = [joinedWebhooks(stack, 1).length, joinedWebhooks(stack, 2).length];
		const seenAt = await watchFor(watcher.page, 'lobby', 'bob.test');
		await join(bob);

		// Replica 2 minted bob's LiveKit token, and handed out zone 2's LiveKit door.
		expect([countRpc(stack, 1, GET_CHANNEL_TOKEN), countRpc(stack, 2, GET_CHANNEL_TOKEN)]).toEqual([tokens[0], tokens[1]! + 1]);
		expect(bob.sockets.map((ws) => hostOf(ws.url()))).toContain(hostOf(z2.livekitFrontDoor));
		const stats = await envoyHostStats(stack);
		expect(stats.get(`livekit_zone_2::${hostOf(z2.livekit.httpUrl)}::cx_active`), 'bob’s signal connection on node 2').toBeGreaterThanOrEqual(1);
		// Bob is first, so the room lives on his node, which reports to replica 2 only.
		await expect.poll(() => joinedWebhooks(stack, 2).length, { timeout: 10_000 }).toBe(hooks[1]! + 1);
		expect(joinedWebhooks(stack, 1).length).toBe(hooks[0]);
		// Everything of zone 1 (the watcher's stream) went to replica 1: none of it to replica 2.
		expect(stats.get(`api_zone_1::${hostOf(z2.api)}::rq_total`) ?? 0).toBe(0);
		expect(stats.get(`api_zone_1::${hostOf(z1.api)}::rq_active`), 'the watcher’s stream on replica 1').toBeGreaterThanOrEqual(1);

		await expect(inLobby(watcher, 'bob.test')).toBeVisible();
		const reported = Date.parse(joinedWebhooks(stack, 2).at(-1)!.time);
		const lag = (await seenAt()) - reported;
		console.log(`[scale] join reported to replica 2, shown by the watcher on replica 1 after ${lag} ms`);
		expect(lag).toBeLessThanOrEqual(500);
	});

	test('alice joins through replica 1 and LiveKit node 1 (node 1 bridges her signal to the room on node 2); each hears the other', async () => {
		const z1 = zoneOf(stack, 1);
		const tokens = [countRpc(stack, 1, GET_CHANNEL_TOKEN), countRpc(stack, 2, GET_CHANNEL_TOKEN)];
		await join(alice);
		expect([countRpc(stack, 1, GET_CHANNEL_TOKEN), countRpc(stack, 2, GET_CHANNEL_TOKEN)]).toEqual([tokens[0]! + 1, tokens[1]]);
		expect(alice.sockets.map((ws) => hostOf(ws.url()))).toContain(hostOf(z1.livekitFrontDoor));
		const stats = await envoyHostStats(stack);
		expect(stats.get(`livekit_zone_1::${hostOf(z1.livekit.httpUrl)}::cx_active`), 'alice’s signal connection on node 1').toBeGreaterThanOrEqual(1);
		await hearEachOther(alice, ALICE, bob, BOB);
		await expect(inLobby(watcher, 'alice.test')).toBeVisible({ timeout: 2000 });
	});

	test('API replica 1 killed mid-call: audio never stops, the lists resume on replica 2, everyone stays signed in past their session’s lifetime', async ({ pageErrors }) => {
		test.setTimeout(120_000);
		const z1 = zoneOf(stack, 1);
		const z2 = zoneOf(stack, 2);
		// Zone 1's calls in flight on replica 1 fail once before Envoy sends them to replica 2.
		pageErrors.expectFailedRequest(new RegExp(`${escapeRegExp(stack.server)}/.*`));
		const before = (await envoyHostStats(stack)).get(`api_zone_1::${hostOf(z2.api)}::rq_total`) ?? 0;
		await sendControl('api/kill');
		const killed = Date.now();
		// Audio: sampled back to back for 6 s from the kill on; every sample carries sound.
		const samples = await energySamples(alice, bob, 6000);
		console.log(`[scale] audio after killing replica 1: ${samples.length} samples of 0.5 s, lowest energy ${Math.min(...samples).toFixed(3)}`);
		expect(Math.min(...samples)).toBeGreaterThan(0.01);

		// The watcher's list resumes, now from replica 2, and shows a change made after the kill.
		await expect(watcher.page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
		await expect.poll(async () => (await envoyHostStats(stack)).get(`api_zone_1::${hostOf(z2.api)}::rq_total`) ?? 0).toBeGreaterThan(before);
		const resumed = Date.now();
		await bob.page.getByRole('button', { name: 'Mute', exact: true }).click();
		await expect(inLobby(watcher, 'bob.test').getByRole('img', { name: 'muted' })).toBeVisible({ timeout: 5000 });
		await bob.page.getByRole('button', { name: 'Mute', exact: true }).click();
		await expect(inLobby(watcher, 'bob.test').getByRole('img', { name: 'muted' })).toHaveCount(0, { timeout: 5000 });
		console.log(`[scale] replica 1 killed: zone 1's list live on replica 2 ${resumed - killed} ms after the kill`);

		// Every session issued before the kill has expired by now: renewed on replica 2.
		const ttlMs = Number(process.env.MICROCLIMATE_SESSION_TTL_SECONDS ?? 20) * 1000;
		await watcher.page.waitForTimeout(Math.max(0, killed + ttlMs + 2000 - Date.now()));
		for (const [p, handle] of [[alice, 'alice.test'], [bob, 'bob.test'], [watcher, 'alice.test']] as const) {
			await expect(p.page).not.toHaveURL(/\/connect/);
			await expect(p.page.getByText(`Signed in as @${handle}`)).toBeVisible();
			await expect(p.page.getByTestId('directory-status')).toHaveText('Live');
		}
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected');
		expect(await energyGrowth(bob.page)).toBeGreaterThan(0.01);

		await sendControl('api/start');
		await expect.poll(() => hostHealth(stack, 'api_zone_1', z1.api)).toBe('healthy');
	});

	test('LiveKit node 2 killed mid-call (bob’s signal and the room): both reconnect through node 1 and hear each other again', async ({ pageErrors }) => {
		test.setTimeout(150_000);
		const z1 = zoneOf(stack, 1);
		const z2 = zoneOf(stack, 2);
		expectLiveKitOutage(pageErrors, z1.livekitFrontDoor, z2.livekitFrontDoor, z2.livekit.url);
		await sendControl('livekit2/stop');
		const killed = Date.now();
		await expect(bob.page.getByTestId('call-status')).toHaveText('Reconnecting…', { timeout: 15_000 });
		await expect(bob.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 60_000 });
		await expect(alice.page.getByTestId('call-status')).toHaveText('Connected', { timeout: 60_000 });
		await hearEachOther(alice, ALICE, bob, BOB);
		const back = Date.now() - killed;
		const stats = await envoyHostStats(stack);
		expect(stats.get(`livekit_zone_2::${hostOf(z1.livekit.httpUrl)}::cx_active`), 'bob’s signal now on node 1').toBeGreaterThanOrEqual(1);
		console.log(`[scale] LiveKit node 2 killed: both hear each other again after ${back} ms`);
		await sendControl('livekit2/start');
	});

	test('Redis restarted (its append-only file kept): the call never stops; sign-in, lists and a rejoin work again without restarting anything else', async ({ pageErrors }) => {
		test.setTimeout(120_000);
		// While Redis is down, LiveKit's doors cannot route a signal connection: a (re)join in
		// that window is refused, and retried.
		expectLiveKitOutage(pageErrors, zoneOf(stack, 1).livekitFrontDoor, zoneOf(stack, 2).livekitFrontDoor);
		await sendControl('redis/restart');
		const restarted = Date.now();
		// Media never passes through Redis: sampled back to back for 4 s, every sample carries sound.
		const samples = await energySamples(alice, bob, 4000);
		expect(Math.min(...samples), 'audio while Redis restarts').toBeGreaterThan(0.01);
		// A fresh sign-in through each replica (the replay cache and rate limits live in Redis).
		await expect.poll(() => scriptSignInThrough(stack, 'bob.test', 1).then(() => true, () => false), { timeout: 30_000, intervals: [250] }).toBe(true);
		await scriptSignInThrough(stack, 'bob.test', 2);
		const signIn = Date.now() - restarted;
		// Presence, and LiveKit's room-to-node map kept: alice leaves, the watcher sees it; she
		// comes back into the same room as bob, and they hear each other.
		await alice.page.getByRole('button', { name: 'Leave channel' }).click();
		await expect(inLobby(watcher, 'alice.test')).toHaveCount(0, { timeout: 10_000 });
		await join(alice);
		await expect(inLobby(watcher, 'alice.test')).toBeVisible({ timeout: 10_000 });
		await hearEachOther(alice, ALICE, bob, BOB);
		console.log(`[scale] Redis restarted: lowest energy over ${samples.length} samples ${Math.min(...samples).toFixed(3)}; a sign-in tried after those samples works at ${signIn} ms; a rejoin hears the other after ${Date.now() - restarted} ms`);
	});

	test('Redis emptied (data lost): sign-in and the lists recover without restarting anything else, and a call started afterwards works', async ({ pageErrors }) => {
		test.setTimeout(150_000);
		// LiveKit's nodes route signal connections through Redis: until they have registered
		// again in the emptied Redis, a join through either door is refused, and retried.
		expectLiveKitOutage(pageErrors, zoneOf(stack, 1).livekitFrontDoor, zoneOf(stack, 2).livekitFrontDoor);
		pageErrors.expect(livekitOutageLogs('music'));
		pageErrors.expect(/^could not (re)?connect.* \{room: music[,}]/);
		await sendControl('redis/wipe');
		const wiped = Date.now();
		await expect.poll(() => scriptSignInThrough(stack, 'bob.test', 1).then(() => true, () => false), { timeout: 30_000, intervals: [250] }).toBe(true);
		await scriptSignInThrough(stack, 'bob.test', 2);
		const signIn = Date.now() - wiped;
		// The room-to-node map is gone with the data, so a join to the room that is still live
		// could land in a second copy on the other node: the call after a data loss is a new one.
		for (const [p, handle] of [[alice, 'alice.test'], [bob, 'bob.test']] as const) {
			await p.page.getByRole('button', { name: 'Leave channel' }).click();
			await expect(inLobby(watcher, handle)).toHaveCount(0, { timeout: 10_000 });
		}
		for (const p of [bob, alice]) await join(p, MUSIC, 60_000);
		await expect(inChannel(watcher, 'alice.test', MUSIC)).toBeVisible({ timeout: 10_000 });
		await expect(inChannel(watcher, 'bob.test', MUSIC)).toBeVisible({ timeout: 10_000 });
		await hearEachOther(alice, ALICE, bob, BOB);
		console.log(`[scale] Redis emptied: sign-in works again after ${signIn} ms; a new call hears both ways after ${Date.now() - wiped} ms`);
	});
});
