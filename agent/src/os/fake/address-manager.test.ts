import { runAddressManagerContract } from '#test/contract/address-manager.case.ts';
import { FakeHost, FakeSegment } from './index.ts';

runAddressManagerContract({
  make: async () => {
    const host = new FakeHost('h1');
    host.attach(new FakeSegment(), { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    return { addresses: host.addresses, ifname: 'eth0', close: async () => {} };
  },
});
