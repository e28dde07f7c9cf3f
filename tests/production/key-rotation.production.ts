// Issue 24 item 5: a session key rotation done the way deploy/README.md "Session key
// rotation" says, on the production rehearsal's API server (started with
// MICROCLIMATE_SESSION_KEYS_FILE, a key set with kid, like a deployment's). A person signed in
// before it stays signed in through every step and her channel list comes back live after
// each restart; her next renewal gets a session signed by the new key, which still works once
// the old key is gone.
//
// "After one session lifetime" (step 3) is not waited for (15 min here): her renewal is made
// to fall due at once, as in logs.production.ts (the reopened list stream is refused once as
// an expired session would be), and the app renews for real.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, account, refuseWatchOnce, signIn } from './fixtures.ts';
import { sendControl } from '../../scripts/stack/control.ts';

type Jwk = crypto.JsonWebKey & { kid: string };

function writeKeys(file: string, keys: Jwk[]): void {
	fs.writeFileSync(file, `${JSON.stringify({ keys })}\n`, { mode: 0o600 });
}

/** `systemctl restart microclimate-api` on the rehearsal: SIGTERM (drain), then start. */
async function restartServer(page: Page, handle: string): Promise<void> {
	await sendControl('api/restart');
	await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 45_000 });
	await expect(page.getByText(`Signed in as @${handle}`)).toBeVisible();
}

/** The `kid` in the header of a JWT. */
const kidOf = (jwt: string): unknown => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid;

test.describe('session key rotation on the production rehearsal', () => {
	test('rotating the key as the runbook says keeps a signed-in person signed in and her list live', async ({ page, context, prod, pageErrors }) => {
		test.setTimeout(240_000);
		// While the server restarts, Envoy answers the list's stream 503 and the browser says so.
		pageErrors.expectFailedRequest(/https:\/\/api\.microclimate\.lan\/.*/);
		const alice = account(prod, 'alice');
		const bearers: string[] = [];
		// Her session must outlive each restart as it is: a CreateSession (a renewal) outside
		// the one the test makes fall due means the server refused her session.
		let createSessions = 0;
		context.on('request', (req) => {
			if (req.url().endsWith('/CreateSession') && req.method() === 'POST') createSessions++;
			if (!req.url().endsWith('/WatchChannels') || req.method() !== 'POST') return;
			void req.allHeaders().then((h) => {
				const bearer = /^Bearer (.+)$/.exec(h['authorization'] ?? '')?.[1];
				if (bearer) bearers.push(bearer);
			});
		});
		await signIn(page, prod, 'alice');
		await expect(page.getByTestId('directory-status')).toHaveText('Live');
		const [old] = (JSON.parse(fs.readFileSync(prod.sessionKeysFile, 'utf8')) as { keys: Jwk[] }).keys;
		if (!old) throw new Error(`${prod.sessionKeysFile} holds no key`);
		await expect.poll(() => bearers.length).toBeGreaterThan(0);
		expect(kidOf(bearers.at(-1)!)).toBe(old.kid);
		const signInSessions = createSessions;

		// The runbook's new key: an EC P-256 private JWK with a kid of its own.
		const fresh: Jwk = { ...crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: `rotated-${Date.now()}` };

		// 1. The new key SECOND: every replica can verify it; the old one still signs.
		writeKeys(prod.sessionKeysFile, [old, fresh]);
		await restartServer(page, alice.handle);

		// 2. The new key FIRST: new sessions are signed by it, hers still verifies.
		writeKeys(prod.sessionKeysFile, [fresh, old]);
		await restartServer(page, alice.handle);

		expect(createSessions, 'her session was refused after a restart').toBe(signInSessions);

		// Her session renews (due now, not in 15 min): the new session names the new key.
		const refusal = await refuseWatchOnce(context, prod.app);
		await page.reload();
		await expect.poll(() => bearers.some((b) => kidOf(b) === fresh.kid), { timeout: 30_000 }).toBe(true);
		await expect(page.getByTestId('directory-status')).toHaveText('Live', { timeout: 30_000 });
		expect(await refusal.stop()).toBe(1);

		// 3. The old key dropped: she is still in, her list live, without signing in again.
		writeKeys(prod.sessionKeysFile, [fresh]);
		const before = bearers.length;
		await restartServer(page, alice.handle);
		await expect.poll(() => bearers.length).toBeGreaterThan(before);
		expect(kidOf(bearers.at(-1)!)).toBe(fresh.kid);
		expect(createSessions, 'only the renewal the test made fall due').toBe(signInSessions + 1);
		expect(new URL(page.url()).pathname).toBe('/');
	});
});
