/**
 * Test-side proxies for the OS ports served by os-agent-child.ts inside a lab namespace, shaped
 * like the contract harness types (test/contract/harness.ts).
 */
import type { AddressManager, LinkMonitor, LinkState, OsResult, VrrpPacket } from '#agent/os/ports.ts';
import type { HostUnderTest, VrrpSocketUnderTest } from '#test/contract/harness.ts';
import type { LabHost, NetnsLab, RpcChild } from '#test/support/netns.ts';

type WirePacket = Omit<VrrpPacket, 'payload'> & { id: number; payload: string };

export function remoteVrrpHost(lab: NetnsLab, host: LabHost, child: RpcChild): HostUnderTest {
  return {
    ipv4: host.ipv4,
    ipv6: host.ipv6,
    async open(options) {
      const r = await child.call<OsResult<number>>('vrrpOpen', options);
      if (!r.ok) return r;
      const id = r.value;
      const sock: VrrpSocketUnderTest = {
        send: (payload, dst, opts) => child.call<OsResult>('vrrpSend', id, Buffer.from(payload).toString('hex'), dst, opts),
        onPacket(cb) {
          return child.on('vrrp', (data) => {
            const p = data as WirePacket;
            if (p.id !== id) return;
            cb({ payload: new Uint8Array(Buffer.from(p.payload, 'hex')), src: p.src, dst: p.dst, ttl: p.ttl, ifindex: p.ifindex });
          });
        },
        localAddress: async (dst) => (await child.call<string | null>('vrrpLocal', id, dst)) ?? undefined,
        close: async () => void (await child.call('vrrpClose', id)),
      };
      return { ok: true, value: sock };
    },
    async setLinkUp(up) {
      await lab.ip(host.ns, 'link', 'set', host.ifname, up ? 'up' : 'down');
    },
  };
}

export function remoteAddressManager(child: RpcChild): AddressManager {
  return {
    list: (ifname) => child.call('addrList', ifname),
    add: (spec) => child.call('addrAdd', spec),
    remove: (spec) => child.call('addrRemove', spec),
    close: () => undefined,
  };
}

export async function remoteLinkMonitor(child: RpcChild): Promise<LinkMonitor> {
  await child.call('linksWatch');
  return {
    list: () => child.call('linksList'),
    onChange: (cb) => child.on('link', (l) => cb(l as LinkState)),
    close: () => undefined,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
