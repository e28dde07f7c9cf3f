// Name mapping for Node processes of the production rehearsal (`npm start -- --production`),
// without real DNS and without editing /etc/hosts. Loaded with
// `NODE_OPTIONS=--import=<this file>` (the API server) or imported first (the orchestrator,
// whose in-process PDS fetches the app's client metadata). Reads MICROCLIMATE_NAME_MAP, JSON
// `{ "suffix": ".microclimate.lan", "address": "127.0.0.1", "ports": { "443": 58443 } }`;
// does nothing when it is unset, so it can never change a process that did not ask for it.
//
// - dns.lookup answers `address` for every name under `suffix`, so connections go there and
//   a caller's own checks of the address (an SSRF guard refusing private addresses) still see
//   it; dns.resolveTxt answers "no such record" at once, so a handle is
//   resolved the other production way (https://<handle>/.well-known/atproto-did) instead of
//   waiting for a DNS server that does not know the rehearsal's names.
// - a connection to such a name on a port in `ports` goes to the mapped port (the front door
//   may listen on another port than 443 in tests): patched in net.Socket#connect, which
//   net.connect, tls.connect, http(s), http2 and undici (global fetch) all go through. TLS
//   still sends the name (SNI) and checks the certificate for it.
import dns from 'node:dns';
import module from 'node:module';
import net from 'node:net';

const raw = process.env.MICROCLIMATE_NAME_MAP;
if (raw) install(JSON.parse(raw));

/** @param {{ suffix: string; address: string; ports?: Record<string, number> }} map */
export function install(map) {
  const g = /** @type {Record<symbol, boolean>} */ (/** @type {unknown} */ (globalThis));
  const key = Symbol.for('microclimate.name-map');
  if (g[key]) return;
  g[key] = true;
  const suffix = map.suffix.toLowerCase();
  const mapped = (/** @type {unknown} */ host) =>
    typeof host === 'string' && (host.toLowerCase() === suffix.slice(1) || host.toLowerCase().endsWith(suffix));
  const family = net.isIPv6(map.address) ? 6 : 4;

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = /** @type {typeof connect} */ (
    function (/** @type {any[]} */ ...args) {
      const first = args[0];
      const options = Array.isArray(first) ? first[0] : first && typeof first === 'object' ? first : undefined;
      // Only the port: the name itself is resolved by the patched dns.lookup below, so a
      // caller's own lookup (an SSRF guard's, which refuses private addresses) still runs.
      if (options && mapped(options.host)) {
        const port = map.ports?.[String(options.port ?? '')];
        if (port) options.port = port;
      }
      return connect.apply(this, /** @type {any} */ (args));
    }
  );

  const lookup = dns.lookup;
  dns.lookup = /** @type {typeof lookup} */ (
    function (/** @type {string} */ host, /** @type {any} */ options, /** @type {any} */ callback) {
      if (typeof options === 'function') [callback, options] = [options, {}];
      if (!mapped(host)) return lookup.call(dns, host, options ?? {}, callback);
      const all = typeof options === 'object' && options?.all;
      process.nextTick(() => (all ? callback(null, [{ address: map.address, family }]) : callback(null, map.address, family)));
      return undefined;
    }
  );
  const lookupPromise = dns.promises.lookup;
  dns.promises.lookup = /** @type {typeof lookupPromise} */ (
    async function (/** @type {string} */ host, /** @type {any} */ options) {
      if (!mapped(host)) return lookupPromise.call(dns.promises, host, options);
      const all = typeof options === 'object' && options?.all;
      return all ? [{ address: map.address, family }] : { address: map.address, family };
    }
  );
  const noRecord = (/** @type {string} */ host) => Object.assign(new Error(`queryTxt ENODATA ${host}`), { code: 'ENODATA', hostname: host });
  const resolveTxt = dns.resolveTxt;
  dns.resolveTxt = /** @type {typeof resolveTxt} */ (
    function (/** @type {string} */ host, /** @type {any} */ callback) {
      if (!mapped(host)) return resolveTxt.call(dns, host, callback);
      process.nextTick(() => callback(noRecord(host)));
      return undefined;
    }
  );
  const resolveTxtPromise = dns.promises.resolveTxt;
  dns.promises.resolveTxt = async (host) => {
    if (!mapped(host)) return resolveTxtPromise.call(dns.promises, host);
    throw noRecord(host);
  };
  const Resolver = dns.promises.Resolver;
  const resolverTxt = Resolver.prototype.resolveTxt;
  Resolver.prototype.resolveTxt = async function (/** @type {string} */ host) {
    if (!mapped(host)) return resolverTxt.call(this, host);
    throw noRecord(host);
  };
  // `import { lookup } from 'node:dns'` in ES modules sees the patched functions only after this.
  module.syncBuiltinESMExports();
}
