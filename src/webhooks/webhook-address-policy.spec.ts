import { addressKind, isDeliverable } from './webhook-address-policy';

describe('webhook address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'], ['255.255.255.255', 'reserved'],
    ['93.184.216.34', 'public'], ['172.32.0.1', 'public'], ['2606:4700::1111', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it('lets loopback through only when allowed, and nothing else that is not public', () => {
    expect(isDeliverable('127.0.0.1', false)).toBe(false);
    expect(isDeliverable('127.0.0.1', true)).toBe(true);
    expect(isDeliverable('::1', true)).toBe(true);
    expect(isDeliverable('10.0.0.1', true)).toBe(false);
    expect(isDeliverable('169.254.169.254', true)).toBe(false);
    expect(isDeliverable('93.184.216.34', false)).toBe(true);
  });
});
