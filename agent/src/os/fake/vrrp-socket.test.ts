import { runVrrpSocketContract } from '#test/contract/vrrp-socket.case.ts';
import { FakeHost, FakeSegment } from './index.ts';

runVrrpSocketContract({
  make: async () => {
    const segment = new FakeSegment();
    const hosts = [1, 2, 3].map((i) => {
      const host = new FakeHost(`h${i}`);
      host.attach(segment, { ifname: 'eth0', ipv4: `192.0.2.${i}/24`, ipv6: `2001:db8:0:1::${i}/64` });
      return {
        ipv4: `192.0.2.${i}`,
        ipv6: `2001:db8:0:1::${i}`,
        open: (o: Parameters<typeof host.vrrpSockets.open>[0]) => host.vrrpSockets.open(o),
        setLinkUp: async (up: boolean) => host.setLinkUp('eth0', up),
      };
    }) as [never, never, never];
    return { ifname: 'eth0', hosts, settle: () => segment.flush(), close: async () => {} };
  },
});
