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

export function createLinuxAnnouncer(): Announcer {
  return {
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
