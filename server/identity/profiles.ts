// Builds the server's profile book from its configuration: the same identity set-up as the
// sign-in check (buildIdentity: PLC, dev-mode handle resolver, the SSRF-guarded fetch), its
// own DID-document cache, and the operator's avatar URL pattern.
import type { ServerConfig } from '../config.js';
import { profileFetches } from '../metrics/registry.js';
import { ProfileBook, type ProfileBookOptions } from './profile-book.js';
import { readProfile } from './profile.js';
import { buildIdentity } from './resolver.js';

/** How long CreateSession waits for a profile before answering without it. */
export const SIGN_IN_PROFILE_WAIT_MS = 1500;

export function createProfileBook(config: ServerConfig, options: ProfileBookOptions = {}): ProfileBook {
  const identity = buildIdentity({ plcUrl: config.plcUrl, dev: config.dev, rehearsalPrivateAddresses: config.rehearsalPrivateAddresses, pdsUrlForHandles: config.devHandleResolverUrl });
  const resolveDid = async (did: string) => {
    // A fresh DID document, so a changed handle or PDS shows at the next read; during a PLC
    // outage, the cached one.
    const data = await identity.idResolver.did.resolveAtprotoData(did, true).catch(() => identity.idResolver.did.resolveAtprotoData(did));
    return { handle: data.handle, pds: data.pds };
  };
  return new ProfileBook(
    (did) => countedRead(readProfile(did, { fetch: identity.fetch, resolveDid, resolveHandle: identity.resolveHandle, avatarUrlPattern: config.avatarUrlPattern })),
    options,
  );
}

/** Counts a profile read's result (metrics: microclimate_profile_fetches_total). */
export function countedRead<T>(reading: Promise<T>): Promise<T> {
  return reading.then(
    (profile) => {
      profileFetches.inc({ result: 'ok' });
      return profile;
    },
    (error: unknown) => {
      profileFetches.inc({ result: error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error' });
      throw error;
    },
  );
}
