/** The load balancer's answers on the control socket: `status` rows and `drain`. */
import { serviceId } from '../lb/model.ts';
import type { LbDataPlane, LbRuntime } from '../runtime/lb.ts';

/** `vigil status` rows for the load balancer. */
export async function lbStatus(lb: LbRuntime, dp: LbDataPlane & { reason?: string }) {
  await lb.refreshTable();
  const table = lb.table();
  const checks = await lb.checkStats();
  const byService = new Map((table?.services ?? []).map((s) => [serviceId(s.key), s]));
  return {
    backend: dp.name,
    ...(dp.reason !== undefined ? { reason: dp.reason } : {}),
    checks,
    realServers: lb.status(),
    services: [...byService.values()].map((s) => ({
      service: serviceId(s.key),
      scheduler: s.scheduler,
      destinations: s.destinations.map((d) => ({ address: d.address, port: d.port, weight: d.weight, method: d.method, activeConns: d.activeConns, inactiveConns: d.inactiveConns, conns: d.stats.conns })),
    })),
  };
}

/**
 * `drain`: { virtualServer: "TCP 192.0.2.100:80" | index, realServer: "10.0.0.1:80" | address | index, undo?: true }.
 * A drained real server keeps its entry at weight 0: established connections finish, no new
 * ones. The drain follows the real server (its identity), wherever a reload moves it.
 */
export async function drainCommand(lb: LbRuntime | undefined, args: Record<string, unknown> | undefined): Promise<unknown> {
  if (!lb) throw new Error('this agent has no virtual_server to drain');
  const vsArg = args?.virtualServer;
  const rsArg = args?.realServer;
  if (vsArg === undefined || rsArg === undefined) throw new Error('drain needs virtualServer and realServer');
  const rows = lb.status();
  const vsNames = [...new Set(rows.map((r) => r.virtualServer))];
  const v = typeof vsArg === 'number' ? vsArg : vsNames.indexOf(String(vsArg));
  if (!Number.isInteger(v) || v < 0 || v >= vsNames.length) throw new Error(`no virtual server "${String(vsArg)}" (virtual servers: ${vsNames.join(', ')})`);
  const mine = rows.filter((r) => r.virtualServer === vsNames[v]);
  const r = typeof rsArg === 'number' ? rsArg : mine.findIndex((x) => `${x.address}:${x.port}` === String(rsArg) || x.address === String(rsArg));
  if (!Number.isInteger(r) || r < 0 || r >= mine.length) throw new Error(`no real server "${String(rsArg)}" in ${vsNames[v]} (real servers: ${mine.map((x) => `${x.address}:${x.port}`).join(', ')})`);
  const id = mine[r]!.id;
  await lb.drain(id, args?.undo !== true);
  return lb.status().find((x) => x.id === id);
}
