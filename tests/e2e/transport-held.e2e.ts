// Issue 26: the first screens do not wait for the transport. The gRPC-Web transport,
// protobuf-es and the generated code are one lazily loaded chunk (src/lib/api/rpc.ts); here
// that chunk, found from the build's manifest, is held back by a route, so these tests see
// what a phone shows while it is still on its way (or still evaluating):
// - signed in: her last known channels with the people last seen in them, marked not live,
//   and a Join tapped then, which happens once the chunk is released;
// - a last known list that is too old, or another account's, is not shown at all;
// - /connect: the form is usable, and the server check runs as soon as the chunk is there.
// Nothing talks to the API server before the chunk has arrived. The service worker is
// blocked so that the route sees every request for the chunk.
import fs from 'node:fs';
import path from 'node:path';
import type { Page, Route } from '@playwright/test';
import { test, expect } from './fixtures.ts';
import { account, signIn } from './sign-in.ts';
import type { ViteManifest } from '../../scripts/pwa/lazy-chunks.ts';

const CLIENT = path.join(import.meta.dirname, '..', '..', '.svelte-kit', 'output', 'client');

test.use({ serviceWorkers: 'block', permissions: ['microphone'] });

const card = (page: Page, id: string) => page.locator(`[data-channel="${id}"]`);
const listStatus = (page: Page) => page.getByTestId('directory-status');
const callStatus = (page: Page) => page.getByTestId('call-status');

/**
 * The built chunk(s) of the transport itself (connect-web's gRPC-Web code), from the build's
 * manifest: held back, nothing that needs the transport can evaluate, wherever it is imported.
 */
function transportChunk(): RegExp {
	const manifest = JSON.parse(fs.readFileSync(path.join(CLIENT, '.vite', 'manifest.json'), 'utf8')) as ViteManifest;
	const files = [...new Set(Object.values(manifest).map((c) => c.file))].filter(
		(file) => file.endsWith('.js') && fs.readFileSync(path.join(CLIENT, file), 'utf8').includes('application/grpc-web')
	);
	if (!files.length) throw new Error('No chunk of the build holds the gRPC-Web transport');
	return new RegExp(`/(${files.map((f) => f.replace(/[.]/g, '\\.')).join('|')})$`);
}

/** A gate on the transport's chunk: requests for it wait while it is held. */
async function gate(page: Page) {
	const waiting: Route[] = [];
	let holding = false;
	let seen = 0;
	await page.route(transportChunk(), (route) => {
		seen++;
		if (holding) waiting.push(route);
		else void route.continue();
	});
	return {
		hold: () => void ((holding = true), (seen = 0)),
		/** Requests for the chunk since hold(). */
		seen: () => seen,
		release: async () => {
			holding = false;
			for (const route of waiting.splice(0)) await route.continue();
		}
	};
}

/** Requests the page makes to the API server (through Envoy), counted from now. */
function apiRequests(page: Page, server: string): () => string[] {
	const urls: string[] = [];
	page.on('request', (r) => void (r.url().startsWith(server) && urls.push(r.url())));
	return () => urls;
}

/** Changes the stored last known list in the app's IndexedDB. */
async function editLastKnown(page: Page, change: { did?: string; savedAt?: number }): Promise<void> {
	await page.evaluate(
		(change) =>
			new Promise<void>((resolve, reject) => {
				const open = indexedDB.open('microclimate');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const tx = open.result.transaction('app', 'readwrite');
					const store = tx.objectStore('app');
					const get = store.get('last-known-channels');
					get.onsuccess = () => {
						if (!get.result) return reject(new Error('no last known list stored'));
						store.put({ ...get.result, ...change }, 'last-known-channels');
					};
					tx.oncomplete = () => (open.result.close(), resolve());
					tx.onerror = () => reject(tx.error);
				};
			}),
		change
	);
}

/** Waits until the stored last known list has Alice in Lobby. */
async function lastKnownHasAliceInLobby(page: Page): Promise<void> {
	await expect
		.poll(
			() =>
				page.evaluate(
					() =>
						new Promise<string>((resolve, reject) => {
							const open = indexedDB.open('microclimate');
							open.onerror = () => reject(open.error);
							open.onsuccess = () => {
								const get = open.result.transaction('app').objectStore('app').get('last-known-channels');
								get.onsuccess = () => (open.result.close(), resolve(JSON.stringify(get.result ?? null)));
								get.onerror = () => reject(get.error);
							};
						})
				),
			{ timeout: 10_000 }
		)
		.toMatch(/"id":"lobby","name":"Lobby","people":\[\{"did":"did:[^"]+","handle":"alice\.test"/);
}

test('signed in, the transport held back: her last known channels and people paint, not live; a Join tapped then happens once it arrives', async ({ page, stack }) => {
	test.setTimeout(150_000);
	const alice = account(stack, 'alice.test');
	const transport = await gate(page);
	await signIn(page, alice);
	await card(page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
	await expect(callStatus(page)).toHaveText('Connected', { timeout: 30_000 });
	await lastKnownHasAliceInLobby(page);

	transport.hold();
	const api = apiRequests(page, stack.server);
	await page.reload({ waitUntil: 'commit' }); // the held chunk's modulepreload would hold Firefox's load event
	// The list of her last visit, with Alice where she was last seen, greyed and not live.
	await expect(listStatus(page)).toHaveText('Updating…');
	await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'last-known');
	await expect(card(page, 'lobby').locator('.person', { hasText: '@alice.test' })).toBeVisible();
	await expect(card(page, 'music')).toBeVisible();
	expect(transport.seen()).toBeGreaterThan(0); // asked for, and still on its way

	// A Join tapped now waits, and says so.
	const music = card(page, 'music').getByRole('button', { name: /Music/ });
	await music.click();
	await expect(music).toContainText('Joining when live…');
	await page.waitForTimeout(1_000);
	await expect(listStatus(page)).toHaveText('Updating…');
	await expect(callStatus(page)).toHaveCount(0);
	expect(api()).toEqual([]); // nothing went to the API server without the transport

	// The chunk arrives: the live list replaces the last known one, and the join happens.
	await transport.release();
	await expect(listStatus(page)).toHaveText('Live', { timeout: 30_000 });
	await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'stream');
	await expect(callStatus(page)).toHaveText('Connected', { timeout: 30_000 });
	await expect(card(page, 'music').locator('.person', { hasText: '@alice.test' })).toBeVisible();
	await expect(card(page, 'lobby').locator('.person', { hasText: '@alice.test' })).toHaveCount(0);
});

test('a last known list that is too old, or another account’s, is not shown: the screen waits for the live list', async ({ page, stack }) => {
	test.setTimeout(150_000);
	const alice = account(stack, 'alice.test');
	const transport = await gate(page);
	await signIn(page, alice);
	await card(page, 'lobby').getByRole('button', { name: /Lobby/ }).click();
	await expect(callStatus(page)).toHaveText('Connected', { timeout: 30_000 });
	await lastKnownHasAliceInLobby(page);
	await page.getByRole('button', { name: /Leave/ }).click();
	await expect(callStatus(page)).toHaveCount(0);

	transport.hold();
	// Saved 13 hours ago (the bound is 12): nothing of it shows.
	await editLastKnown(page, { savedAt: Date.now() - 13 * 60 * 60 * 1000 });
	await page.reload({ waitUntil: 'commit' }); // the held chunk's modulepreload would hold Firefox's load event
	await expect(page.getByText('Loading channels…')).toBeVisible();
	await expect(page.locator('ul.channels')).toHaveCount(0);
	expect(transport.seen()).toBeGreaterThan(0);
	await transport.release();
	await expect(listStatus(page)).toHaveText('Live', { timeout: 30_000 });

	// Fresh again (the live list wrote it), but written for another account: not shown either.
	await lastKnownHasAliceInLobbyOrNot(page);
	transport.hold();
	await editLastKnown(page, { savedAt: Date.now(), did: 'did:plc:someoneelse' });
	await page.reload({ waitUntil: 'commit' }); // the held chunk's modulepreload would hold Firefox's load event
	await expect(page.getByText('Loading channels…')).toBeVisible();
	await expect(page.locator('ul.channels')).toHaveCount(0);
	await transport.release();
	await expect(listStatus(page)).toHaveText('Live', { timeout: 30_000 });
	await expect(page.locator('ul.channels')).toHaveAttribute('data-source', 'stream');
});

/** The live list writes its record again (whoever is in Lobby now): wait until one is stored. */
async function lastKnownHasAliceInLobbyOrNot(page: Page): Promise<void> {
	await expect
		.poll(
			() =>
				page.evaluate(
					() =>
						new Promise<number>((resolve, reject) => {
							const open = indexedDB.open('microclimate');
							open.onerror = () => reject(open.error);
							open.onsuccess = () => {
								const get = open.result.transaction('app').objectStore('app').get('last-known-channels');
								get.onsuccess = () => (open.result.close(), resolve((get.result as { savedAt?: number } | undefined)?.savedAt ?? 0));
								get.onerror = () => reject(get.error);
							};
						})
				),
			{ timeout: 10_000 }
		)
		.toBeGreaterThan(Date.now() - 60_000);
}

test('/connect with the transport held back: the form takes typing at once, and the server check runs as soon as it arrives', async ({ page, stack }) => {
	const transport = await gate(page);
	transport.hold();
	const api = apiRequests(page, stack.server);
	await page.goto('/connect', { waitUntil: 'commit' }); // the held chunk would hold Firefox's load event
	// Hydrated (the check has started), the transport not there yet: nothing asked of the server.
	await expect(page.getByTestId('server-status')).toHaveText(`Checking ${new URL(stack.server).host}…`);
	await page.getByLabel('Handle').fill('alice.test');
	await expect(page.getByLabel('Handle')).toHaveValue('alice.test');
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
	await expect.poll(() => transport.seen()).toBeGreaterThan(0); // asked for after the first paint, still held
	expect(api()).toEqual([]);

	await transport.release();
	await expect(page.getByTestId('server-name')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
	await expect(page.getByLabel('Handle')).toHaveValue('alice.test');
	expect(api().length).toBeGreaterThan(0);
});
