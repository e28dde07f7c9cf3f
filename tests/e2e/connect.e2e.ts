import { test, expect } from './fixtures.ts';

async function grpcWebRequests(envoyAdmin: string): Promise<number> {
	const res = await fetch(`${envoyAdmin}/stats?format=json&filter=grpc-web`);
	const body = (await res.json()) as { stats: { name?: string; value?: number }[] };
	return body.stats
		.filter((s) => s.name?.includes('GetServerInfo') && s.name.endsWith('.total'))
		.reduce((sum, s) => sum + (s.value ?? 0), 0);
}

test.describe('connect screen', () => {
	test('shows the name of the default server, fetched through Envoy', async ({ page, stack }) => {
		const before = await grpcWebRequests(stack.envoyAdmin);
		await page.goto('/connect');
		await expect(page.getByLabel('Server')).toHaveValue(stack.server);
		await expect(page.getByTestId('server-name')).toHaveText('Microclimate Local');
		await expect.poll(() => grpcWebRequests(stack.envoyAdmin)).toBeGreaterThan(before);
	});

	test('the root path opens the connect screen', async ({ page }) => {
		await page.goto('/');
		await expect(page).toHaveURL(/\/connect$/);
	});

	test('normalises an address typed without a scheme and with a trailing slash', async ({ page, stack }) => {
		await page.goto('/connect');
		const host = new URL(stack.server).host;
		await page.getByLabel('Server').fill(`${host}/`);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-name')).toHaveText('Microclimate Local');
	});

	test('explains a malformed address without calling anything', async ({ page }) => {
		await page.goto('/connect');
		await expect(page.getByTestId('server-name')).toBeVisible();
		const calls: string[] = [];
		page.on('request', (r) => {
			if (new URL(r.url()).origin !== new URL(page.url()).origin) calls.push(r.url());
		});
		await page.getByLabel('Server').fill('http://exa mple');
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-status')).toHaveText('A server address cannot contain spaces.');
		await expect(page.getByLabel('Server')).toHaveAttribute('aria-invalid', 'true');
		expect(calls).toEqual([]);
	});

	test('says when nothing answers at the address', async ({ page, pageErrors }) => {
		pageErrors.expectFailedRequest(/http:\/\/127\.0\.0\.1:9\/[^)]*/);
		await page.goto('/connect');
		// She changes the server once the screen has shown the default one (its check done).
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Server').fill('http://127.0.0.1:9');
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-status')).toHaveText(
			"Can't reach 127.0.0.1:9. Check the address and your connection."
		);
	});

	test('says when the address answers but is not a Microclimate server', async ({ page, stack, pageErrors }) => {
		// The PDS answers the server-info call with 404: that is how the app finds out.
		pageErrors.expectFailedRequest(/http:\/\/[^)]*\/microclimate\.auth\.v1\.AuthService\/GetServerInfo/);
		await page.goto('/connect');
		// She changes the server once the screen has shown the default one (its check done).
		await expect(page.getByTestId('server-name')).toBeVisible();
		await page.getByLabel('Server').fill(stack.pds);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByTestId('server-status')).toHaveText(
			`${new URL(stack.pds).host} answers, but it is not a Microclimate server. Check the address.`
		);
	});

	for (const size of [
		{ name: 'phone', width: 390, height: 844 },
		{ name: 'desktop', width: 1280, height: 800 }
	]) {
		test(`fits a ${size.name} screen without horizontal scrolling`, async ({ page }, info) => {
			await page.setViewportSize(size);
			await page.goto('/connect');
			await expect(page.getByTestId('server-name')).toBeVisible();
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			expect(overflow).toBeLessThanOrEqual(0);
			await page.screenshot({ path: info.outputPath(`connect-${size.name}.png`), fullPage: true });
		});
	}
});

test.describe('local stack', () => {
	test('the PDS and the LiveKit server answer', async ({ stack }) => {
		const pds = await fetch(`${stack.pds}/xrpc/com.atproto.server.describeServer`);
		expect(pds.status).toBe(200);
		const described = (await pds.json()) as { availableUserDomains: string[] };
		expect(described.availableUserDomains).toContain('.test');
		const livekit = await fetch(stack.livekit.httpUrl);
		expect(livekit.status).toBe(200);
	});
});
