// Prints how long each engine's project took, for `npm test`'s phase times (one runner and
// one stack serve all engines, so scripts/test.sh can't time them apart). Tests run one at
// a time (workers: 1), so the sum of a project's test times is its share of the run.
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class ProjectTimes implements Reporter {
	#times = new Map<string, { ms: number; tests: number; failed: number }>();

	onTestEnd(test: TestCase, result: TestResult): void {
		const project = test.parent.project()?.name ?? '(none)';
		const entry = this.#times.get(project) ?? { ms: 0, tests: 0, failed: 0 };
		entry.ms += result.duration;
		entry.tests += 1;
		if (result.status !== 'passed' && result.status !== test.expectedStatus) entry.failed += 1;
		this.#times.set(project, entry);
	}

	onEnd(): void {
		for (const [project, { ms, tests, failed }] of this.#times) {
			console.log(`--- ${project}: ${tests} tests, ${failed} failed, ${Math.round(ms / 1000)} s`);
		}
	}

	printsToStdio(): boolean {
		return false;
	}
}
