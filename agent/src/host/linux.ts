/**
 * The director on Linux: raw VRRP sockets through the vigil_net addon, addresses, routes and
 * links over rtnetlink, GARP/NA, hooks as child processes, the health checks in a worker
 * thread, and IPVS or nftables. The composition root `vigil agent` uses (cli/agent.ts,
 * managed/run.ts); unit tests build a DirectorHost on the in-memory fakes instead.
 */
import { HealthWorker } from '../checks/health-worker.ts';
import { createLinuxAddressManager } from '../os/address-manager.ts';
import { createLinuxAnnouncer } from '../os/announcer.ts';
import { systemClock } from '../os/clock.ts';
import type { LbBackendMode } from '../os/lb-backend.ts';
import { createLinuxLinkMonitor } from '../os/link-monitor.ts';
import { createLinuxRouteManager } from '../os/route-manager.ts';
import { linuxVrrpSockets } from '../os/vrrp-socket.ts';
import { processHookRunner } from '../runtime/hooks.ts';
import { openLinuxDataPlane } from './data-plane.ts';
import type { HostLog, HostPorts } from './director-host.ts';
import { fifoWriter } from './fifo.ts';

export function linuxHostPorts(o: { stateDir: string; lbMode: LbBackendMode; log: HostLog; path: string }): HostPorts {
  const addresses = createLinuxAddressManager();
  const announcer = createLinuxAnnouncer();
  const links = createLinuxLinkMonitor();
  const routes = createLinuxRouteManager();
  const warn = (m: string) => o.log('warn', m);
  return {
    sockets: linuxVrrpSockets,
    addresses,
    announcer,
    routes,
    links,
    clock: systemClock,
    hooks: processHookRunner(o.path),
    openDataPlane: (_lb, global) => openLinuxDataPlane(o.lbMode, o.stateDir, global.lvsFlush, warn),
    health: () => new HealthWorker(warn),
    fifo: (path) => fifoWriter(path, warn),
    close() {
      addresses.close();
      announcer.close();
      routes.close();
      links.close();
    },
  };
}
