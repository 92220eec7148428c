/**
 * Wire formats of the takeover announcements, built and parsed as plain bytes (no I/O).
 *
 * - Gratuitous ARP (RFC 5227 §2.3 "ARP Announcement", RFC 5798 §6.4.2): an ARP request with
 *   sender IP = target IP = the VIP, sender MAC = the router's (or virtual) MAC, target MAC zero.
 * - Unsolicited Neighbor Advertisement (RFC 4861 §4.4, §7.2.6; RFC 5798 §6.4.2): ICMPv6 type 136
 *   to ff02::1, Override set, Solicited clear, Router set when we act as a router, with a Target
 *   Link-Layer Address option. The checksum stays zero: the kernel fills it for ICMPv6 sockets.
 */

import { ipv4Bytes, ipv6Bytes } from './ip-text.ts';

export const ETH_P_ARP = 0x0806;
export const ETH_BROADCAST = 'ff:ff:ff:ff:ff:ff';
export const ALL_NODES_V6 = 'ff02::1';

const ARP_HTYPE_ETHERNET = 1;
const ARP_PTYPE_IPV4 = 0x0800;
const ARP_OP_REQUEST = 1;
const ICMP6_NEIGHBOR_ADVERT = 136;
const ND_OPT_TARGET_LLADDR = 2;
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;

/** Bytes of a MAC address "aa:bb:cc:dd:ee:ff". */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) {
    throw new TypeError(`invalid MAC address '${mac}' (expected aa:bb:cc:dd:ee:ff)`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function macString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A gratuitous ARP (request form) announcing `ip` at `mac`: the 28-byte ARP payload. */
export function buildGarp(ip: string, mac: string): Uint8Array {
  const out = new Uint8Array(28);
  const v = new DataView(out.buffer);
  v.setUint16(0, ARP_HTYPE_ETHERNET);
  v.setUint16(2, ARP_PTYPE_IPV4);
  out[4] = 6;
  out[5] = 4;
  v.setUint16(6, ARP_OP_REQUEST);
  const ipb = ipv4Bytes(ip);
  out.set(macBytes(mac), 8);
  out.set(ipb, 14);
  // target hardware address stays zero (RFC 5227 §2.3)
  out.set(ipb, 24);
  return out;
}

export interface ArpMessage {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Parses an Ethernet/IPv4 ARP payload; undefined for anything else. */
export function parseArp(b: Uint8Array): ArpMessage | undefined {
  if (b.length < 28) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint16(0) !== ARP_HTYPE_ETHERNET || v.getUint16(2) !== ARP_PTYPE_IPV4 || b[4] !== 6 || b[5] !== 4) return undefined;
  const ip = (o: number) => Array.from(b.subarray(o, o + 4)).join('.');
  return { op: v.getUint16(6), senderMac: macString(b.subarray(8, 14)), senderIp: ip(14), targetMac: macString(b.subarray(18, 24)), targetIp: ip(24) };
}

/** An unsolicited Neighbor Advertisement for `ip` at `mac` (ICMPv6 message, checksum zero). */
export function buildUnsolicitedNa(ip: string, mac: string, router: boolean): Uint8Array {
  const out = new Uint8Array(32);
  out[0] = ICMP6_NEIGHBOR_ADVERT;
  out[4] = NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0);
  out.set(ipv6Bytes(ip), 8);
  out[24] = ND_OPT_TARGET_LLADDR;
  out[25] = 1; // option length in units of 8 bytes
  out.set(macBytes(mac), 26);
  return out;
}

export interface NeighborAdvert {
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Uint8Array;
  targetMac?: string;
}

/** Parses an ICMPv6 Neighbor Advertisement; undefined for anything else. */
export function parseNeighborAdvert(b: Uint8Array): NeighborAdvert | undefined {
  if (b.length < 24 || b[0] !== ICMP6_NEIGHBOR_ADVERT || b[1] !== 0) return undefined;
  const flags = b[4] ?? 0;
  const na: NeighborAdvert = {
    router: (flags & NA_FLAG_ROUTER) !== 0,
    solicited: (flags & NA_FLAG_SOLICITED) !== 0,
    override: (flags & NA_FLAG_OVERRIDE) !== 0,
    target: b.slice(8, 24),
  };
  for (let o = 24; o + 8 <= b.length;) {
    const len = (b[o + 1] ?? 0) * 8;
    if (len === 0) break;
    if (b[o] === ND_OPT_TARGET_LLADDR && len >= 8) na.targetMac = macString(b.subarray(o + 2, o + 8));
    o += len;
  }
  return na;
}
