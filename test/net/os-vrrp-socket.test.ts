/**
 * The VrrpSocket contract on raw sockets: three hosts in network namespaces on one bridge, each
 * running the real socket code in a child process inside its namespace.
 */
import { describe } from 'vitest';
import { requireCapabilities } from '#test/support/capabilities.ts';
import { createLab } from '#test/support/netns.ts';
import { runVrrpSocketContract } from '#test/contract/vrrp-socket.case.ts';
import { remoteVrrpHost, sleep } from './os-remote.ts';

const enabled = requireCapabilities('os-vrrp-socket (raw VRRP sockets in netns)', ['root', 'netns']);

describe.skipIf(!enabled)('Linux VrrpSocket in network namespaces', () => {
  runVrrpSocketContract({
    make: async () => {
      const lab = await createLab({ hosts: 3 });
      try {
        const children = await Promise.all(lab.hosts.map((h) => lab.serve(h.ns, 'test/net/os-agent-child.ts')));
        const hosts = lab.hosts.map((h, i) => remoteVrrpHost(lab, h, children[i]!)) as [never, never, never];
        return { ifname: 'eth0', hosts, settle: () => sleep(300), close: () => lab.destroy() };
      } catch (err) {
        await lab.destroy();
        throw err;
      }
    },
  });
});
