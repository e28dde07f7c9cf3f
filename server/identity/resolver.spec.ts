import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IdResolver } from '@atproto/identity';
import { BoundedDidCache, buildIdentity, ResolverConfigError } from './resolver.js';

describe('buildIdentity', () => {
  it('refuses an http: PLC outside dev mode, with a clear message', () => {
    expect(() => buildIdentity({ plcUrl: 'http://localhost:2582', dev: false })).toThrow(ResolverConfigError);
    expect(() => buildIdentity({ plcUrl: 'http://localhost:2582', dev: false })).toThrow(/only in dev mode/);
    expect(() => buildIdentity({ plcUrl: 'ftp://plc.example', dev: true })).toThrow(ResolverConfigError);
    expect(() => buildIdentity({ plcUrl: 'not a url', dev: true })).toThrow(ResolverConfigError);
  });

  it('refuses the dev handle shortcut outside dev mode', () => {
    expect(() => buildIdentity({ dev: false, pdsUrlForHandles: 'https://pds.example' })).toThrow(/dev-mode-only/);
  });

  it('accepts https in production and http in dev', () => {
    expect(buildIdentity({ dev: false }).idResolver).toBeDefined();
    expect(buildIdentity({ plcUrl: 'http://localhost:2582', dev: true, pdsUrlForHandles: 'http://localhost:2583' }).resolveHandle).toBeTypeOf('function');
  });

  it('production resolution refuses http: did:web hosts (SSRF-safe default fetch)', async () => {
    expect.assertions(1);
    const { idResolver } = buildIdentity({ dev: false });
    await expect(idResolver.did.resolve('did:web:localhost%3A1')).rejects.toThrow();
  });
});

describe('BoundedDidCache', () => {
  it('never holds more than maxEntries documents', async () => {
    expect.assertions(3);
    const cache = new BoundedDidCache(3);
    for (const n of [1, 2, 3, 4, 5]) await cache.cacheDid(`did:web:h${n}.example`, { id: `did:web:h${n}.example` });
    expect(cache.cache.size).toBe(3);
    expect(await cache.checkCache('did:web:h1.example')).toBeNull();
    expect(await cache.checkCache('did:web:h5.example')).toMatchObject({ did: 'did:web:h5.example', stale: false });
  });
});

describe('BoundedDidCache during a PLC outage', () => {
  const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  const docV1 = { id: did, alsoKnownAs: ['at://v1.example'] };
  const docV2 = { id: did, alsoKnownAs: ['at://v2.example'] };
  let served: object = docV1;
  let up = true;
  let plc: Server;
  let resolver: IdResolver;
  let cache: BoundedDidCache;

  beforeAll(async () => {
    plc = createServer((req, res) => {
      if (!up) return void res.writeHead(503).end('down');
      res.writeHead(decodeURIComponent(req.url ?? "") === `/${did}` ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((r) => plc.listen(0, '127.0.0.1', r));
    cache = new BoundedDidCache(100, 10 * 60_000, 24 * 60 * 60_000);
    const { port } = plc.address() as AddressInfo;
    resolver = new IdResolver({ plcUrl: `http://127.0.0.1:${port}`, didCache: cache, fetch: globalThis.fetch });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await new Promise((r) => plc.close(r));
  });

  it('serves the stale cached document when the refresh fails, and takes the fresh one once the PLC is back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    expect(await resolver.did.resolve(did)).toEqual(docV1);
    up = false;
    vi.setSystemTime(11 * 60_000); // past the 10 min stale mark: used to fail sign-in and renewal
    expect(await resolver.did.resolve(did)).toEqual(docV1);
    await cache.idle();
    vi.setSystemTime(23 * 60 * 60_000); // still down, nearly a day later
    expect(await resolver.did.resolve(did)).toEqual(docV1);
    await cache.idle();
    up = true;
    served = docV2;
    expect(await resolver.did.resolve(did)).toEqual(docV1); // answered at once from the cache...
    await cache.idle();
    expect(await resolver.did.resolve(did)).toEqual(docV2); // ...and refreshed behind it
  });

  it('a document past its maximum age is not served from the cache when the PLC is down', async () => {
    vi.setSystemTime(24 * 60 * 60_000 + 23 * 60 * 60_000 + 1);
    up = false;
    await expect(resolver.did.resolve(did)).rejects.toThrow();
    up = true;
  });
});
