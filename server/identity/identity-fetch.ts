// The one fetch every lookup driven by someone's identity goes through: DID documents,
// handles, and the profile record on the PDS their DID document names. Those URLs come from
// documents anyone can write, so outside dev mode the fetch is SSRF-guarded exactly as
// @atproto/identity's own default (which that package does not export): no http:, no IP
// literals, no private addresses (checked at connect time too), no custom ports, no
// implicit redirects, 512 kB at most. Only explicit dev mode (a local PLC and PDS on
// http://localhost) uses the plain global fetch.
import { safeFetchWrap } from '@atproto-labs/fetch-node';

export type IdentityFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function identityFetch(dev: boolean, rehearsalPrivateAddresses = false): IdentityFetch {
  if (dev) return globalThis.fetch;
  // The production rehearsal's names all map to loopback: only that guard is lifted there.
  return safeFetchWrap({ allowIpHost: false, allowImplicitRedirect: false, allowPrivateIps: rehearsalPrivateAddresses });
}
