// How far this device's clock is from the servers' clocks, read by the login flow when a
// sign-in fails. The person's PDS accepts a DPoP proof (the OAuth library signs one for every
// request, stamped with this device's time) only within about 3 minutes of its own clock
// (@atproto/oauth-provider, DPOP_NONCE_MAX_AGE), and says no more than "invalid DPoP proof".
// A laptop that woke from sleep or a phone set by hand is then refused with nothing a
// person can act on; this says which way the clock is off, and by how much.
//
// The estimate comes from the Microclimate server's answer: its `Date` header (Envoy exposes
// it to the app, deploy/envoy.yaml) against the middle of the request's round trip. Servers
// keep their clocks set; a device's is the one that drifts.
import { createClient, type Transport } from '@connectrpc/connect';
import { AuthService } from '$lib/gen/microclimate/auth/v1/auth_pb.js';

/** Off by less than this, the clock is not what refused the sign-in (the PDS allows ~3 min). */
export const CLOCK_TROUBLE_MS = 2 * 60_000;

/** How long a sign-in failure waits for the clock check before it says what it knows. */
const CHECK_TIMEOUT_MS = 3_000;

/**
 * Milliseconds this device's clock is ahead of the server's (negative: behind), from the
 * server's `Date` header and this device's clock when the request left and the answer came.
 * Undefined when there is no usable header.
 */
export function clockOffsetMs(date: string | null | undefined, sentAt: number, receivedAt: number): number | undefined {
	if (!date) return undefined;
	const server = Date.parse(date);
	if (Number.isNaN(server)) return undefined;
	// `Date` has whole seconds, cut down: the server's moment lies in [server, server + 1 s).
	// Its middle, against the middle of the round trip, is off by at most half of each.
	return (sentAt + receivedAt) / 2 - (server + 500);
}

/** Says how the clock is off, when it is off by enough to refuse a sign-in; else undefined. */
export function describeClockOffset(offsetMs: number): string | undefined {
	if (!(Math.abs(offsetMs) >= CLOCK_TROUBLE_MS)) return undefined;
	return `This device’s clock is ${amount(Math.abs(offsetMs))} ${offsetMs > 0 ? 'fast' : 'slow'}. Set it to update automatically, then try again.`;
}

function amount(ms: number): string {
	const minutes = Math.round(ms / 60_000);
	if (minutes < 90) return plural(minutes, 'minute');
	const hours = Math.round(ms / 3_600_000);
	if (hours < 48) return plural(hours, 'hour');
	return plural(Math.round(ms / 86_400_000), 'day');
}

function plural(n: number, unit: string): string {
	return `${n.toLocaleString('en')} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * Asks the server (GetServerInfo, no session needed) and returns the clock message when this
 * device's clock is off by enough to matter, else undefined; also undefined when the server
 * cannot be asked in time, so a failure is never blamed on the clock without a reading.
 */
export async function checkDeviceClock(transport: Transport): Promise<string | undefined> {
	let date: string | null = null;
	let receivedAt = 0;
	const sentAt = Date.now();
	try {
		await createClient(AuthService, transport).getServerInfo(
			{},
			{
				timeoutMs: CHECK_TIMEOUT_MS,
				onHeader: (headers) => {
					receivedAt = Date.now();
					date = headers.get('date');
				}
			}
		);
	} catch {
		return undefined;
	}
	const offset = clockOffsetMs(date, sentAt, receivedAt || Date.now());
	return offset === undefined ? undefined : describeClockOffset(offset);
}
