// Which "client" a request counts against for rate limits. Envoy names the real peer in
// CLIENT_ADDRESS_HEADER (it removes any copy a client sent and writes its own, see
// deploy/envoy.yaml); the API server must only be reachable through Envoy for that to hold.
//
// IPv6: one subscriber usually gets a whole /64 and can pick any address in it, so keying
// on the full address would give one person 2^64 budgets. IPv4-mapped IPv6 counts as IPv4.
import { isIPv4, isIPv6 } from 'node:net';

export const CLIENT_ADDRESS_HEADER = 'x-microclimate-client-address';

/** The rate-limit key for an address: IPv4 as is, IPv6 as its /64 prefix. */
export function clientKey(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, zone id
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare === '' ? 'unknown' : bare.slice(0, 64); // not an address: still bounded
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1]; // e.g. 64:ff9b::1.2.3.4
  if (v4 !== undefined) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
