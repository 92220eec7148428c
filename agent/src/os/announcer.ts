/**
 * Real takeover announcements (RFC 5798 §6.4.2): gratuitous ARP over an AF_PACKET socket
 * (broadcast, ETH_P_ARP) and unsolicited NA over a raw ICMPv6 socket (hop limit 255, as
 * RFC 4861 §7.1.2 requires of receivers; the kernel computes the checksum).
 *
 * A socket is opened per announcement and closed at once: takeovers are rare, and a cached
 * receive-capable socket on every interface would only queue traffic nobody reads.
 */
import { ALL_NODES_V6, ETH_BROADCAST, ETH_P_ARP, buildGarp, buildUnsolicitedNa } from './announce-packets.ts';
import { hardwareAddress, ifIndex } from './interfaces.ts';
import { SOCKET_KIND, errnoResult, loadNative, type NativeSocket } from './native.ts';
import type { Announcer, OsResult } from './ports.ts';

const IPPROTO_ICMPV6 = 58;

function withSocket(kind: number, protocol: number, ifname: string, what: string, fn: (sock: NativeSocket, ifindex: number) => number): OsResult {
  const ifindex = ifIndex(ifname);
  if (ifindex === 0) return { ok: false, code: 'ENODEV', message: `${what}: interface ${ifname} does not exist` };
  let sock;
  try {
    sock = new (loadNative().Socket)(kind, protocol, kind === SOCKET_KIND.packet ? 0 : ifindex, kind === SOCKET_KIND.packet ? null : ifname, [], 255, false);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && /^E[A-Z]+$/.test(code)) return { ok: false, code, message: `${what}: ${(err as Error).message}` };
    throw err;
  }
  try {
    const n = fn(sock, ifindex);
    return n < 0 ? errnoResult(n, what) : { ok: true, value: undefined };
  } finally {
    sock.close();
  }
}

function macOf(ifname: string, given: string | undefined, what: string): OsResult<string> {
  if (given) return { ok: true, value: given };
  try {
    return { ok: true, value: hardwareAddress(ifname) };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? 'ENODEV', message: `${what}: ${(err as Error).message}` };
  }
}

/** Every item's announcement, one socket per (kind, interface), sent back to back. */
function burst(items: ReadonlyArray<{ ifname: string; ip: string }>): OsResult[] {
  const out: OsResult[] = new Array(items.length);
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    const k = `${it.ip.includes(':') ? 6 : 4}|${it.ifname}`;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  for (const [k, idx] of groups) {
    const v6 = k.startsWith('6');
    const ifname = k.slice(2);
    const what = `${v6 ? 'unsolicited NA' : 'gratuitous ARP'} on ${ifname}`;
    const mac = macOf(ifname, undefined, what);
    if (!mac.ok) {
      for (const i of idx) out[i] = mac;
      continue;
    }
    const frames = idx.map((i) => Buffer.from(v6 ? buildUnsolicitedNa(items[i]!.ip, mac.value, false) : buildGarp(items[i]!.ip, mac.value)));
    let n = 0;
    const r = withSocket(v6 ? SOCKET_KIND.ip6 : SOCKET_KIND.packet, v6 ? IPPROTO_ICMPV6 : ETH_P_ARP, ifname, what, (s, ifindex) => {
      for (; n < frames.length; n++) {
        const sent = s.send(frames[n]!, v6 ? ALL_NODES_V6 : ETH_BROADCAST, ifindex);
        out[idx[n]!] = sent < 0 ? errnoResult(sent, `${what} for ${items[idx[n]!]!.ip}`) : { ok: true, value: undefined };
      }
      return 0;
    });
    if (!r.ok) for (const i of idx) out[i] ??= r;
  }
  return out;
}

export function createLinuxAnnouncer(): Announcer {
  return {
    burst,
    async garp(ifname, ip, options) {
      const what = `gratuitous ARP for ${ip} on ${ifname}`;
      const mac = macOf(ifname, options?.mac, what);
      if (!mac.ok) return mac;
      const arp = Buffer.from(buildGarp(ip, mac.value));
      // Not bound to the ifindex (no receive queue); the destination sockaddr_ll names it.
      return withSocket(SOCKET_KIND.packet, ETH_P_ARP, ifname, what, (s, ifindex) => s.send(arp, ETH_BROADCAST, ifindex));
    },
    async unsolicitedNa(ifname, ip, options) {
      const what = `unsolicited NA for ${ip} on ${ifname}`;
      const mac = macOf(ifname, options?.mac, what);
      if (!mac.ok) return mac;
      const na = Buffer.from(buildUnsolicitedNa(ip, mac.value, options?.router ?? false));
      return withSocket(SOCKET_KIND.ip6, IPPROTO_ICMPV6, ifname, what, (s, ifindex) => s.send(na, ALL_NODES_V6, ifindex));
    },
    close() {},
  };
}
