// The operator's view of the production rehearsal (`npm start -- --production --metrics`,
// which this suite's global setup starts): a real Prometheus scrapes the API server, Envoy
// and LiveKit with deploy/prometheus.yml's jobs and evaluates deploy/alerts.yml (generated
// copies with this stack's ports, 1 s intervals and 2 s `for:` waits). One person signs in and
// joins a call; Prometheus's HTTP API then shows the figures moved; stopping LiveKit through
// the control socket fires LiveKitNodeDown, and LiveKit is started again for the next tests.
// Chromium only: what it proves is on the server side.
import { test, expect, signIn } from './fixtures.ts';
import { sendControl } from '../../scripts/stack/control.ts';
import type { ProductionStackInfo } from '../../scripts/stack/production/index.ts';

interface Sample {
	metric: Record<string, string>;
	value: [number, string];
}

function prometheusOf(info: ProductionStackInfo) {
	const base = info.metrics.prometheus;
	if (!base) throw new Error('the rehearsal runs without Prometheus (startProductionStack({ metrics: true }))');
	const api = async <T>(path: string): Promise<T> => {
		const res = await fetch(`${base}${path}`);
		const body = (await res.json()) as { status: string; data: T; error?: string };
		if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error}`);
		return body.data;
	};
	return {
		/** The value of a PromQL expression that yields one number (`or vector(0)` for "none yet"). */
		value: async (query: string) => {
			const data = await api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(query)}`);
			return Number(data.result[0]?.value[1] ?? NaN);
		},
		/** Each job's scrape health: { 'microclimate-api': 'up', envoy: 'up', livekit: 'up' }. */
		targets: async () => {
			const data = await api<{ activeTargets: { labels: { job: string }; health: string }[] }>('/api/v1/targets?state=active');
			return Object.fromEntries(data.activeTargets.map((t) => [t.labels.job, t.health]));
		},
		/** The state of each alert now (pending, firing), by name. */
		alerts: async () => {
			const data = await api<{ alerts: { labels: { alertname: string }; state: string }[] }>('/api/v1/alerts');
			return Object.fromEntries(data.alerts.map((a) => [a.labels.alertname, a.state]));
		}
	};
}

const ALL_UP = { 'microclimate-api': 'up', envoy: 'up', livekit: 'up' };
const SCRAPE = { timeout: 20_000, intervals: [500] };

test.describe('metrics on the production rehearsal', () => {
	test('after a sign-in and a call, Prometheus scrapes all three parts and the figures moved; a stopped LiveKit fires its alert', async ({ browser, prod }) => {
		test.setTimeout(150_000);
		const prometheus = prometheusOf(prod);
		await expect.poll(() => prometheus.targets(), SCRAPE).toEqual(ALL_UP);

		const figures = {
			signIns: 'sum(microclimate_sign_ins_total{kind="sign_in",result="ok"}) or vector(0)',
			tokens: 'sum(microclimate_channel_tokens_issued_total{channel="lobby"}) or vector(0)',
			webhooks: 'sum(microclimate_livekit_webhooks_total{result="applied"}) or vector(0)',
			envoyRequests: 'sum(envoy_cluster_upstream_rq_total{envoy_cluster_name="api"}) or vector(0)',
			livekitJoins: 'sum(livekit_participant_join_total) or vector(0)'
		};
		const read = async () => Object.fromEntries(await Promise.all(Object.entries(figures).map(async ([k, q]) => [k, await prometheus.value(q)] as const)));
		const before = await read();

		const context = await browser.newContext({ baseURL: prod.app, permissions: ['microphone'] });
		try {
			const page = await context.newPage();
			await signIn(page, prod, 'alice');
			await page.locator('[data-channel="lobby"]').getByRole('button', { name: /Lobby/ }).click();
			await expect(page.getByTestId('call-status')).toHaveText('Connected', { timeout: 30_000 });

			// The next scrapes (1 s apart) carry what the sign-in and the join did, at each part.
			await expect.poll(() => prometheus.value('sum(microclimate_channel_participants{channel="lobby"}) or vector(0)'), SCRAPE).toBe(1);
			await expect
				.poll(async () => {
					const now = await read();
					return Object.fromEntries(Object.keys(figures).map((k) => [k, now[k]! > before[k]!]));
				}, SCRAPE)
				.toEqual({ signIns: true, tokens: true, webhooks: true, envoyRequests: true, livekitJoins: true });
			expect(await prometheus.value('max(microclimate_watch_streams_open)')).toBeGreaterThanOrEqual(1);
			expect(await prometheus.value('max(process_resident_memory_bytes{job="microclimate-api"})')).toBeGreaterThan(0);
		} finally {
			await context.close();
		}

		expect(await prometheus.alerts()).toEqual({});
		await sendControl('livekit/stop');
		try {
			await expect.poll(() => prometheus.targets(), SCRAPE).toEqual({ ...ALL_UP, livekit: 'down' });
			await expect.poll(() => prometheus.alerts(), SCRAPE).toEqual({ LiveKitNodeDown: 'firing' });
		} finally {
			await sendControl('livekit/start');
		}
		await expect.poll(() => prometheus.targets(), SCRAPE).toEqual(ALL_UP);
		await expect.poll(() => prometheus.alerts(), SCRAPE).toEqual({});
	});
});
