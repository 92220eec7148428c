/**
 * The AddressManager and LinkMonitor contracts on the real rtnetlink code, run in a child
 * process inside a network namespace (the same suites the in-memory fakes pass).
 */
import { describe } from 'vitest';
import { runAddressManagerContract } from '#test/contract/address-manager.case.ts';
import { runLinkMonitorContract } from '#test/contract/link-monitor.case.ts';
import { requireCapabilities } from '#test/support/capabilities.ts';
import { createLab } from '#test/support/netns.ts';
import { remoteAddressManager, remoteLinkMonitor } from './os-remote.ts';

const enabled = requireCapabilities('os-rtnetlink (addresses and links in netns)', ['root', 'netns']);

describe.skipIf(!enabled)('Linux rtnetlink ports in network namespaces', () => {
  runAddressManagerContract({
    make: async () => {
      const lab = await createLab({ hosts: 1 });
      const child = await lab.serve(lab.hosts[0]!.ns, 'test/net/os-agent-child.ts');
      return { addresses: remoteAddressManager(child), ifname: 'eth0', close: () => lab.destroy() };
    },
  });
  runLinkMonitorContract({
    make: async () => {
      const lab = await createLab({ hosts: 1 });
      const h = lab.hosts[0]!;
      const child = await lab.serve(h.ns, 'test/net/os-agent-child.ts');
      return {
        monitor: await remoteLinkMonitor(child),
        ifname: 'eth0',
        setUp: async (up) => void (await lab.ip(h.ns, 'link', 'set', 'eth0', up ? 'up' : 'down')),
        // Carrier of a veth follows its peer, the bridge port in the switch namespace.
        setCarrier: async (carrier) => void (await lab.ip(lab.switchNs, 'link', 'set', h.switchPort, carrier ? 'up' : 'down')),
        close: () => lab.destroy(),
      };
    },
  });
});
