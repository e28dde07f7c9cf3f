// did:web references for the host names this server is reached by. Clients derive the
// `aud` of their service token from the URL they chose, so the server must answer to
// exactly the same string for each of its public hosts.

/** Fragment of the service entry in our DID document; part of every `aud` we accept. */
export const SERVICE_FRAGMENT = 'microclimate';

/** A public host: DNS name or IPv4 address, optional port. No IPv6 (did:web cannot be unambiguous about it). */
const HOST_PATTERN = /^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

export function isPublicHost(host: string): boolean {
  if (!HOST_PATTERN.test(host)) return false;
  const port = host.split(':')[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/**
 * `did:web:` + host with ':' encoded as '%3A' (the did:web rule for ports) + '#microclimate'.
 * Example: "localhost:8080" -> "did:web:localhost%3A8080#microclimate".
 */
export function serviceDidRef(host: string): string {
  return `did:web:${host.toLowerCase().replaceAll(':', '%3A')}#${SERVICE_FRAGMENT}`;
}

/**
 * The configured public host a request reached, by its :authority / Host. A host that is
 * not configured (a direct hit on the gRPC port, a spoofed Host) gets the first public
 * host: the answer is informative only and never widens what CreateSession accepts.
 */
export function publicHostFor(requestHost: string | undefined, publicHosts: readonly string[]): string {
  const first = publicHosts[0];
  if (first === undefined) throw new Error('no public hosts configured');
  if (requestHost === undefined) return first;
  const wanted = requestHost.toLowerCase();
  return publicHosts.find((h) => h === wanted) ?? first;
}

/** Every DID reference this server answers to, one per public host. */
export function acceptedServiceDids(publicHosts: readonly string[]): string[] {
  return publicHosts.map(serviceDidRef);
}
