import { describe, expect, it } from 'vitest';
import { clientKey } from './client-key.js';

describe('clientKey', () => {
  it('keys IPv4 by the address, also when IPv4-mapped', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keys IPv6 by its /64, however the address is written', () => {
    const key = '2001:db8:85a3:8d3::/64';
    expect(clientKey('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe(key);
    expect(clientKey('2001:0DB8:85a3:08d3::1')).toBe(key);
    expect(clientKey('[2001:db8:85a3:8d3:ffff::]')).toBe(key);
    expect(clientKey('2001:db8:85a3:8d4::1')).not.toBe(key);
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('bounds whatever else it is given', () => {
    expect(clientKey('')).toBe('unknown');
    expect(clientKey('x'.repeat(1000))).toHaveLength(64);
  });
});
