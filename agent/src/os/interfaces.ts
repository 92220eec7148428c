/**
 * Small synchronous lookups about local interfaces, in this process's network namespace.
 */
import { networkInterfaces } from 'node:os';
import { loadNative } from './native.ts';
import type { AddressFamily } from './ports.ts';

/** ifindex of `ifname`, or 0 when there is no such link. */
export function ifIndex(ifname: string): number {
  return loadNative().ifIndex(ifname);
}

/**
 * The address VRRP sends from when none is configured: the interface's first (primary) IPv4
 * address (RFC 3768 §5.1.1.1); for IPv6 its link-local address (RFC 5798 §5.1.2.1) when the
 * destination is multicast or link-local, else its first global address (unicast peers).
 */
export function defaultSourceAddress(ifname: string, family: AddressFamily, dst?: string): string | undefined {
  const addrs = networkInterfaces()[ifname] ?? [];
  if (family === 4) return addrs.find((a) => a.family === 'IPv4')?.address;
  const v6 = addrs.filter((a) => a.family === 'IPv6');
  const isLinkLocal = (a: string) => /^fe[89ab][0-9a-f]:/i.test(a);
  const wantLinkLocal = dst === undefined || /^ff/i.test(dst) || isLinkLocal(dst);
  return v6.find((a) => isLinkLocal(a.address) === wantLinkLocal)?.address;
}

/** The hardware address of `ifname` ("aa:bb:cc:dd:ee:ff"); throws for a missing link. */
export function hardwareAddress(ifname: string): string {
  return loadNative().hardwareAddress(ifname);
}
