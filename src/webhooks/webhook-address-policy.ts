import { BlockList, isIP } from 'node:net';

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

function blockList(ipv4: [string, number][], ipv6: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ipv4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of ipv6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

/**
 * Address ranges a webhook may not reach, by kind. Node's BlockList also matches IPv4-mapped
 * IPv6 addresses (::ffff:10.0.0.1) against the IPv4 ranges.
 */
const RANGES: [Exclude<AddressKind, 'public'>, BlockList][] = [
  ['loopback', blockList([['127.0.0.0', 8]], [['::1', 128]])],
  ['unspecified', blockList([['0.0.0.0', 8]], [['::', 128]])],
  ['private', blockList([['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]], [['fc00::', 7]])],
  ['link-local', blockList([['169.254.0.0', 16]], [['fe80::', 10]])],
  ['multicast', blockList([['224.0.0.0', 4]], [['ff00::', 8]])],
  // 240/4 includes the broadcast address 255.255.255.255.
  ['reserved', blockList([['240.0.0.0', 4]], [])],
];

export function addressKind(address: string): AddressKind {
  const family = isIP(address);
  if (!family) throw new Error(`Not an IP address: ${address}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return RANGES.find(([, list]) => list.check(address, type))?.[0] ?? 'public';
}

/** Public addresses only; loopback too when the deployment allows it (tests, outside production). */
export function isDeliverable(address: string, allowLoopback: boolean): boolean {
  const kind = addressKind(address);
  return kind === 'public' || (allowLoopback && kind === 'loopback');
}
