// How long one session renewal may take. Apart from renewal-errors.ts (which needs the
// transport's error classes) so the session store stays out of the transport's chunk.

/** Renewal took longer than this: give up this attempt, keep the session, retry later. */
export const RENEWAL_TIMEOUT_MS = 15_000;

export class RenewalTimeoutError extends Error {
	constructor() {
		super('Renewing the session took too long');
		this.name = 'RenewalTimeoutError';
	}
}
