import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { AuthService, GetServerInfoResponseSchema } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import { checkDeviceClock, clockOffsetMs, describeClockOffset } from './device-clock.js';

const MINUTE = 60_000;
/** A whole second of server time. */
const T = Date.UTC(2026, 11, 6, 11, 0, 0);
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('clockOffsetMs: how far this device is ahead of the server', () => {
	it('is within a second of the truth wherever in its second the server answered, and whatever the round trip', () => {
		for (const trueOffset of [5 * MINUTE, -2 * MINUTE, 0, 1234]) {
			for (const serverMs of [0, 1, 499, 500, 999]) {
				for (const halfTrip of [0, 40, 400]) {
					const at = T + serverMs; // the server's moment when it wrote Date
					const offset = clockOffsetMs(httpDate(at), at + trueOffset - halfTrip, at + trueOffset + halfTrip);
					expect(Math.abs(offset! - trueOffset)).toBeLessThanOrEqual(500);
				}
			}
		}
	});

	it('is undefined without a usable Date header', () => {
		expect(clockOffsetMs(null, T, T)).toBeUndefined();
		expect(clockOffsetMs('', T, T)).toBeUndefined();
		expect(clockOffsetMs('yesterday-ish', T, T)).toBeUndefined();
	});
});

describe('describeClockOffset: the message a person reads', () => {
	it('says which way and by how much, and what to do', () => {
		expect(describeClockOffset(5 * MINUTE)).toBe('This device’s clock is 5 minutes fast. Set it to update automatically, then try again.');
		expect(describeClockOffset(-(4 * MINUTE + 20_000))).toBe('This device’s clock is 4 minutes slow. Set it to update automatically, then try again.');
		expect(describeClockOffset(3 * 60 * MINUTE)).toBe('This device’s clock is 3 hours fast. Set it to update automatically, then try again.');
		expect(describeClockOffset(-400 * 24 * 60 * MINUTE)).toBe('This device’s clock is 400 days slow. Set it to update automatically, then try again.');
	});

	it('says nothing when the clock is close enough for the PDS (under 2 minutes either way)', () => {
		expect(describeClockOffset(0)).toBeUndefined();
		expect(describeClockOffset(119_000)).toBeUndefined();
		expect(describeClockOffset(-119_000)).toBeUndefined();
		expect(describeClockOffset(Number.NaN)).toBeUndefined();
	});
});

describe('checkDeviceClock: asks the server', () => {
	function serverAt(offsetFromDevice: number, fail = false) {
		return createRouterTransport(({ service }) => {
			service(AuthService, {
				getServerInfo: (_req, context) => {
					if (fail) throw new ConnectError('down', Code.Unavailable);
					context.responseHeader.set('date', httpDate(Date.now() - offsetFromDevice));
					return create(GetServerInfoResponseSchema, { name: 'x', lxm: 'y' });
				}
			});
		});
	}

	it("reads the server's Date header: 5 minutes behind the device is a device 5 minutes fast", async () => {
		expect(await checkDeviceClock(serverAt(5 * MINUTE))).toBe('This device’s clock is 5 minutes fast. Set it to update automatically, then try again.');
		expect(await checkDeviceClock(serverAt(-6 * MINUTE))).toBe('This device’s clock is 6 minutes slow. Set it to update automatically, then try again.');
	});

	it('says nothing when the clocks agree, or when the server cannot be asked', async () => {
		expect(await checkDeviceClock(serverAt(0))).toBeUndefined();
		expect(await checkDeviceClock(serverAt(5 * MINUTE, true))).toBeUndefined();
	});
});
