// Vitest global set-up: one real redis-server for the whole unit run, shared by every spec
// that runs against the Redis store (each uses its own key prefix). Installed like the
// stack's other Debian tools when missing (scripts/stack/tools.ts); without it the run fails.
import type { TestProject } from 'vitest/node';
import { ensureRedisServer } from '../../scripts/stack/tools.ts';
import { startTestRedis } from '../../server/store/testing-redis.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	await ensureRedisServer();
	const redis = await startTestRedis();
	project.provide('redisUrl', redis.url);
	return () => redis.stop();
}
