import { beforeAll, describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { ServerLimitsSchema } from '$lib/gen/microclimate/auth/v1/auth_pb.js';
import { ChannelSchema } from '$lib/gen/microclimate/channels/v1/channels_pb.js';
import { loadRpc } from '$lib/api/rpc-loader.js';
import { describeJoinError } from './call-errors.js';

// In the app a ConnectError exists only once the transport's chunk has loaded (call-errors.ts).
beforeAll(async () => void (await loadRpc()));

const supported = () => true;
const unsupported = () => false;

/** An error shaped like livekit-client's (it sets `name` in each class's constructor). */
function liveKitError(name: string, message: string): Error {
	const err = new Error(message);
	err.name = name;
	return err;
}

describe('describeJoinError', () => {
	it('a full channel says so, with the limit, and is final (no retry loop); a rate limit stays a rate limit', () => {
		const full = new ConnectError('"Lobby" is full (100 people)', Code.ResourceExhausted, undefined, [
			{ desc: ChannelSchema, value: { id: 'lobby', name: 'Lobby' } },
			{ desc: ServerLimitsSchema, value: { maxParticipantsPerChannel: 100 } }
		]);
		expect(describeJoinError(full, supported)).toEqual({ text: 'Lobby is full — 100 people', final: true });
		expect(describeJoinError(new ConnectError('slow down', Code.ResourceExhausted), supported)).toEqual({ text: 'Too many attempts. Wait a moment, then try again.', final: true });
	});

	it('a network failure is retried', () => {
		expect(describeJoinError(new TypeError('Failed to fetch'), supported)).toEqual({ text: 'Can’t reach the voice server. Retrying…', final: false });
		expect(describeJoinError(liveKitError('ConnectionError', 'could not establish signal connection'), supported).final).toBe(false);
	});

	it('the server’s refusals are final', () => {
		expect(describeJoinError(new ConnectError('x', Code.NotFound), supported)).toEqual({ text: 'This channel no longer exists.', final: true });
		expect(describeJoinError(new ConnectError('x', Code.Unauthenticated), supported).final).toBe(true);
	});

	it('any failure in a browser without WebRTC is final, with the “can’t make voice calls” message', () => {
		const lk = new Error("LiveKit doesn't seem to be supported on this browser. Try to update your browser and make sure no browser extensions are disabling webRTC.");
		const described = describeJoinError(lk, unsupported);
		expect(described.final).toBe(true);
		expect(described.text).toMatch(/^This browser can't make voice calls\./);
	});

	it('LiveKit’s unsupported-device and unsupported-server errors are final', () => {
		expect(describeJoinError(liveKitError('DeviceUnsupportedError', 'device is unsupported'), supported)).toMatchObject({ text: expect.stringMatching(/^This browser can't make voice calls/), final: true });
		expect(describeJoinError(liveKitError('UnsupportedServer', 'unsupported server'), supported)).toMatchObject({ text: expect.stringMatching(/out of date/), final: true });
	});
});
