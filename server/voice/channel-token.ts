// Mints the LiveKit join token that GetChannelToken hands out. The token is a bearer
// credential for one room, so it grants the least a voice channel needs: join that room
// only, publish the microphone only (no camera or screen), subscribe, publish data (the
// sealed key envelopes of encrypted calls: see call-key.ts), and nothing that changes
// identity, name or attributes. Identity is the caller's verified DID, the name their handle
// and the attribute "e2ee.pk" their device's call key, so what others see in the room is
// what the session (and the request) proved.
import { decodeJwt } from 'jose';
import { AccessToken, RoomConfiguration, TrackSource } from 'livekit-server-sdk';
import type { Session } from '../session-auth.js';

export interface LiveKitCredentials {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface ChannelPass {
  /** ws: or wss: URL for livekit-client. */
  readonly livekitUrl: string;
  readonly token: string;
  readonly room: string;
  readonly expiresAtMs: number;
}

export interface ChannelPassRequest {
  readonly room: string;
  readonly session: Session;
  readonly ttlSeconds: number;
  /** 0 = no limit. Enforced by LiveKit too when this join creates the room. */
  readonly maxParticipants: number;
  /** Participant attributes (the call key, "e2ee.pk"); none when empty. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The client-facing LiveKit URL: livekit-client speaks WebSocket, the config may say http(s). */
export function clientUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}

export async function mintChannelPass(lk: LiveKitCredentials, req: ChannelPassRequest): Promise<ChannelPass> {
  const at = new AccessToken(lk.apiKey, lk.apiSecret, {
    identity: req.session.did,
    name: req.session.handle,
    ttl: req.ttlSeconds,
  });
  at.addGrant({
    roomJoin: true,
    room: req.room,
    canPublish: true,
    canPublishSources: [TrackSource.MICROPHONE],
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  });
  if (req.attributes && Object.keys(req.attributes).length > 0) at.attributes = { ...req.attributes };
  if (req.maxParticipants > 0) at.roomConfig = new RoomConfiguration({ maxParticipants: req.maxParticipants });
  const token = await at.toJwt();
  // Report the expiry the token really carries, not a second clock read of our own.
  const exp = decodeJwt(token).exp!;
  return { livekitUrl: clientUrl(lk.url), token, room: req.room, expiresAtMs: exp * 1000 };
}
