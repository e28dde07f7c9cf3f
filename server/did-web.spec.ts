import { describe, expect, it } from 'vitest';
import { acceptedServiceDids, isPublicHost, publicHostFor, serviceDidRef } from './did-web.js';

describe('serviceDidRef', () => {
  it('encodes the port colon as %3A and adds the service fragment', () => {
    expect(serviceDidRef('localhost:8080')).toBe('did:web:localhost%3A8080#microclimate');
    expect(serviceDidRef('127.0.0.1:8080')).toBe('did:web:127.0.0.1%3A8080#microclimate');
  });

  it('leaves a host without port as is, lowercased', () => {
    expect(serviceDidRef('Voice.Example.com')).toBe('did:web:voice.example.com#microclimate');
  });

  it('gives one reference per public host', () => {
    expect(acceptedServiceDids(['localhost:8080', 'example.com'])).toEqual([
      'did:web:localhost%3A8080#microclimate',
      'did:web:example.com#microclimate',
    ]);
  });
});

describe('publicHostFor', () => {
  const hosts = ['localhost:8080', '127.0.0.1:8080'];

  it('answers with the configured host the request reached', () => {
    expect(publicHostFor('127.0.0.1:8080', hosts)).toBe('127.0.0.1:8080');
    expect(publicHostFor('LOCALHOST:8080', hosts)).toBe('localhost:8080');
  });

  it('falls back to the first public host for an unknown or missing host', () => {
    expect(publicHostFor('evil.example:8080', hosts)).toBe('localhost:8080');
    expect(publicHostFor('localhost:9051', hosts)).toBe('localhost:8080');
    expect(publicHostFor(undefined, hosts)).toBe('localhost:8080');
  });
});

describe('isPublicHost', () => {
  it('accepts host[:port]', () => {
    for (const h of ['localhost', 'localhost:8080', '127.0.0.1:8080', 'a-b.example.com:443']) {
      expect(isPublicHost(h), h).toBe(true);
    }
  });

  it('refuses schemes, paths, bad ports and IPv6', () => {
    for (const h of ['http://localhost', 'localhost/x', 'localhost:0', 'localhost:70000', '[::1]:8080', 'a b', '-a.com', '']) {
      expect(isPublicHost(h), h).toBe(false);
    }
  });
});
