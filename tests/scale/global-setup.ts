// Starts the replicated stack once for the scale suite (`npm test` runs it after the main
// suite, whose stack is down by then): Redis, 2 API replicas, 2 LiveKit nodes, Envoy over
// both. The app in build/ is reused when it was built for this stack's server URL.
import type { FullConfig } from '@playwright/test';
import { startStack } from '../../scripts/stack/index.ts';
import { appBuiltFor } from '../../scripts/stack/app.ts';
import { resolveScalePorts } from '../../scripts/stack/config.ts';
import { E2E_SESSION_TTL_SECONDS } from '../e2e/global-setup.ts';

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
	// Short sessions here too: people renew theirs on whichever replica Envoy picks.
	process.env.MICROCLIMATE_SESSION_TTL_SECONDS = String(E2E_SESSION_TTL_SECONDS);
	const ports = resolveScalePorts();
	const stack = await startStack({ build: !appBuiltFor(`http://localhost:${ports.ENVOY}`), chromium: true, replicas: 2 });
	return () => stack.stop();
}
