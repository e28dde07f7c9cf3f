import { describe, expect, it } from 'vitest';
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
