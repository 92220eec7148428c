/**
 * Runs inside a lab namespace (via test/support/netns-child.ts) and serves the Linux OS ports
 * to the test process: the real VrrpSocket, AddressManager, LinkMonitor and Announcer, plus an
 * AF_PACKET observer that reports GARPs and unsolicited NAs seen on the wire.
 * Bytes travel as hex; packets and link changes come back as events.
 */
import { createLinuxAddressManager } from '#agent/os/address-manager.ts';
import { parseArp, parseNeighborAdvert, ETH_P_ARP } from '#agent/os/announce-packets.ts';
import { createLinuxAnnouncer } from '#agent/os/announcer.ts';
import { captureFrames } from '#agent/os/capture.ts';
import { ipv6String } from '#agent/os/ip-text.ts';
import { createLinuxLinkMonitor } from '#agent/os/link-monitor.ts';
import type { AddressSpec, VrrpSendOptions, VrrpSocket, VrrpSocketOptions } from '#agent/os/ports.ts';
import { openVrrpSocket } from '#agent/os/vrrp-socket.ts';

type Emit = (event: string, data: unknown) => void;
const ETH_P_IPV6 = 0x86dd;

export function serve(emit: Emit) {
  const sockets = new Map<number, VrrpSocket>();
  let nextId = 1;
  const addresses = createLinuxAddressManager();
  const links = createLinuxLinkMonitor();
  const announcer = createLinuxAnnouncer();
  const stops: Array<() => void> = [];

  return {
    vrrpOpen(options: VrrpSocketOptions) {
      const r = openVrrpSocket(options);
      if (!r.ok) return r;
      const id = nextId++;
      sockets.set(id, r.value);
      r.value.onPacket((p) => emit('vrrp', { id, ...p, payload: Buffer.from(p.payload).toString('hex') }));
      return { ok: true, value: id };
    },
    vrrpSend(id: number, hex: string, dst: string, options?: VrrpSendOptions) {
      return sockets.get(id)?.send(Buffer.from(hex, 'hex'), dst, options);
    },
    vrrpLocal(id: number, dst?: string) {
      return sockets.get(id)?.localAddress(dst) ?? null;
    },
    vrrpClose(id: number) {
      sockets.get(id)?.close();
      sockets.delete(id);
    },
    addrList: (ifname?: string) => addresses.list(ifname),
    addrAdd: (spec: AddressSpec) => addresses.add(spec),
    addrRemove: (spec: AddressSpec) => addresses.remove(spec),
    linksList: () => links.list(),
    linksWatch() {
      links.onChange((l) => emit('link', l));
    },
    garp: (ifname: string, ip: string, options?: { mac?: string }) => announcer.garp(ifname, ip, options),
    na: (ifname: string, ip: string, options?: { mac?: string; router?: boolean }) => announcer.unsolicitedNa(ifname, ip, options),
    /** Reports GARPs and unsolicited NAs arriving on `ifname` as 'announce' events. */
    observe(ifname: string) {
      stops.push(
        captureFrames(ifname, ETH_P_ARP, (f) => {
          const arp = parseArp(f.payload);
          if (arp && arp.senderIp === arp.targetIp) emit('announce', { kind: 'garp', ip: arp.senderIp, mac: arp.senderMac, op: arp.op, pktType: f.pktType, srcMac: f.srcMac });
        }),
        captureFrames(ifname, ETH_P_IPV6, (f) => {
          const p = f.payload;
          // IPv6 header (RFC 8200 §3): next header at 6, hop limit at 7, addresses at 8 and 24.
          if (p.length < 40 || p[6] !== 58) return;
          const na = parseNeighborAdvert(p.subarray(40));
          if (!na) return;
          emit('announce', {
            kind: 'na', ip: ipv6String(na.target), mac: na.targetMac, router: na.router, override: na.override, solicited: na.solicited,
            hopLimit: p[7], src: ipv6String(p.subarray(8, 24)), dst: ipv6String(p.subarray(24, 40)), pktType: f.pktType,
          });
        }),
      );
    },
    shutdown() {
      for (const s of sockets.values()) s.close();
      for (const stop of stops) stop();
      addresses.close();
      links.close();
    },
  };
}
