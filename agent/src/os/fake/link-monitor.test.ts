import { runLinkMonitorContract } from '#test/contract/link-monitor.case.ts';
import { FakeHost, FakeSegment } from './index.ts';

runLinkMonitorContract({
  make: async () => {
    const host = new FakeHost('h1');
    host.attach(new FakeSegment(), { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    return {
      monitor: host.links,
      ifname: 'eth0',
      setUp: async (up) => host.setLinkUp('eth0', up),
      setCarrier: async (carrier) => host.setCarrier('eth0', carrier),
      close: async () => host.links.close(),
    };
  },
});
