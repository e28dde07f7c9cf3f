// Identity resolution (DID -> DID document, handle -> DID) for the service-token check.
//
// Security: whoever controls the DID document controls the signing key we trust, so the
// transport to PLC and to did:web hosts must be authenticated. @atproto/identity's default
// fetch is SSRF-protected and refuses http:, private IPs and custom ports; we keep it in
// production and swap in the plain global fetch ONLY in explicit dev mode (local PLC on
// http://localhost). An http: PLC URL outside dev mode is a configuration error, not a warning.
import { IdResolver, MemoryCache, type DidDocument } from '@atproto/identity';
import { identityFetch, type IdentityFetch } from './identity-fetch.js';

export interface ResolverConfig {
  /** PLC directory; default https://plc.directory. http: only when dev is true. */
  readonly plcUrl?: string;
  /** Explicit dev mode: allows http:, localhost and custom ports for identity lookups. */
  readonly dev: boolean;
  /**
   * Dev only: resolve handles by asking this PDS/AppView's com.atproto.identity.resolveHandle
   * instead of DNS / https://<handle>/.well-known/atproto-did (neither works for *.test).
   */
  readonly pdsUrlForHandles?: string;
  /** Rehearsal only (not dev mode): https fetches may reach private and loopback addresses. */
  readonly rehearsalPrivateAddresses?: boolean;
  /** Per-lookup timeout; default 3000 ms. */
  readonly timeoutMs?: number;
}

/** handle -> DID, or undefined when it does not resolve. Never throws. */
export type ResolveHandle = (handle: string) => Promise<string | undefined>;

export interface Identity {
  readonly idResolver: IdResolver;
  readonly resolveHandle: ResolveHandle;
  /** The fetch the resolver uses (SSRF-guarded outside dev mode), for other identity-driven lookups. */
  readonly fetch: IdentityFetch;
}

export class ResolverConfigError extends Error {
  override readonly name = 'ResolverConfigError';
}

/**
 * DID-document cache with a size bound (MemoryCache alone grows without limit, and each
 * caller can name a different DID) that keeps serving what it has while the PLC is down.
 *
 * A document older than staleTtl is still answered at once and refreshed in the
 * background (one refresh per DID at a time); when that refresh fails, the stale copy stays
 * and keeps being served until maxTtl, so a PLC outage does not sign anyone out. A key
 * rotation is still caught: a signature that does not match makes the verifier ask again
 * with forceRefresh, which bypasses this cache. The price: during an outage, a key rotated
 * in the last maxTtl is not seen until the PLC answers again.
 */
export class BoundedDidCache extends MemoryCache {
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly maxEntries = 10_000,
    staleTtlMs = 10 * 60_000,
    maxTtlMs = 24 * 60 * 60_000,
  ) {
    super(staleTtlMs, maxTtlMs);
  }

  override async cacheDid(did: string, doc: DidDocument): Promise<void> {
    this.cache.delete(did); // re-insert at the end: Map order is our LRU-ish order
    await super.cacheDid(did, doc);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  /** Called by the resolver for a stale hit; never throws and never makes the caller wait. */
  override async refreshCache(did: string, getDoc: () => Promise<DidDocument | null>): Promise<void> {
    if (this.refreshing.has(did)) return;
    this.refreshing.add(did);
    void getDoc()
      .then((doc) => (doc ? this.cacheDid(did, doc) : this.clearEntry(did))) // null: the PLC says it is gone
      .catch(() => undefined) // unreachable PLC: keep the stale copy
      .finally(() => this.refreshing.delete(did));
  }

  /** Settles once no background refresh is running (tests). */
  async idle(): Promise<void> {
    while (this.refreshing.size > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

export function buildIdentity(cfg: ResolverConfig): Identity {
  const plcUrl = cfg.plcUrl ?? 'https://plc.directory';
  let parsed: URL;
  try {
    parsed = new URL(plcUrl);
  } catch {
    throw new ResolverConfigError(`PLC URL is not a URL: ${plcUrl}`);
  }
  if (parsed.protocol === 'http:' && !cfg.dev) {
    // Cleartext PLC = anyone on the path can hand us a forged DID document (and signing key).
    throw new ResolverConfigError(`PLC URL ${plcUrl} uses http:, which is allowed only in dev mode`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ResolverConfigError(`PLC URL ${plcUrl} must be https: (or http: in dev mode)`);
  }
  if (cfg.pdsUrlForHandles !== undefined && !cfg.dev) {
    // Trusting one server's word for every handle is only acceptable against a local test stack.
    throw new ResolverConfigError('pdsUrlForHandles is a dev-mode-only setting');
  }
  // Only in dev: the global fetch skips the SSRF guard (http:, localhost, ports).
  const fetch = identityFetch(cfg.dev, cfg.rehearsalPrivateAddresses);
  const idResolver = new IdResolver({
    plcUrl: parsed.href.replace(/\/$/, ''),
    timeout: cfg.timeoutMs ?? 3000,
    didCache: new BoundedDidCache(),
    fetch,
  });
  const resolveHandle: ResolveHandle =
    cfg.pdsUrlForHandles !== undefined
      ? xrpcHandleResolver(cfg.pdsUrlForHandles, cfg.timeoutMs ?? 3000)
      : async (handle) => {
          try {
            return (await idResolver.handle.resolve(handle)) ?? undefined;
          } catch {
            return undefined;
          }
        };
  return { idResolver, resolveHandle, fetch };
}

/**
 * Dev-mode handle resolver: GET <service>/xrpc/com.atproto.identity.resolveHandle. The
 * dev-env PDS answers this from its own account table for *.test handles, which neither
 * DNS nor https://<handle>/.well-known can reach.
 */
export function xrpcHandleResolver(serviceUrl: string, timeoutMs = 3000): ResolveHandle {
  return async (handle) => {
    const url = new URL('/xrpc/com.atproto.identity.resolveHandle', serviceUrl);
    url.searchParams.set('handle', handle);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      if (!res.ok) return undefined;
      const body: unknown = await res.json();
      const did = (body as { did?: unknown } | null)?.did;
      return typeof did === 'string' && did.startsWith('did:') ? did : undefined;
    } catch {
      return undefined;
    }
  };
}
