/**
 * The standalone agent's load-balancer plumbing: picks and opens the data plane (IPVS over
 * generic netlink, or nftables), checks the virtual servers against it before anything starts,
 * and serves the `status` / `drain` control commands.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../os/atomic-file.ts';
import { join } from 'node:path';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { desiredTable, realServerKey } from '../lb/desired.ts';
import { checkNftSupport } from '../lb/nft/support.ts';
import { serviceId } from '../lb/model.ts';
import { IpvsController, type OwnershipStore } from '../os/ipvs/controller.ts';
import { openIpvs } from '../os/ipvs/genl-table.ts';
import { selectLbBackend, type LbBackendMode } from '../os/lb-backend.ts';
import { NftController } from '../os/nft/controller.ts';
import { execNft } from '../os/nft/exec.ts';
import type { OsResult } from '../os/ports.ts';
import type { LbDataPlane, LbRuntime } from '../runtime/lb.ts';

export interface OpenedDataPlane extends LbDataPlane {
  reason: string;
  /** Warnings to log once running (approximations the operator should know about). */
  warnings: string[];
}

/** Which IPVS services Vigil created, kept across restarts (what it may delete). */
function fileOwnershipStore(path: string): OwnershipStore {
  return {
    async load() {
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as string[];
      } catch {
        return [];
      }
    },
    async save(ids) {
      writeFileAtomic(path, JSON.stringify(ids));
    },
  };
}

export async function openDataPlane(mode: LbBackendMode, config: ResolvedDirectorConfig, stateDir: string): Promise<OsResult<OpenedDataPlane>> {
  const nft = execNft();
  const sel = await selectLbBackend(mode, nft);
  if (!sel.ok) return sel;
  if (sel.value.backend === 'ipvs') {
    const t = await openIpvs();
    if (!t.ok) return { ok: false, code: t.code, message: `IPVS: ${t.message}` };
    return { ok: true, value: { name: 'IPVS', reason: sel.value.reason, warnings: [], controller: new IpvsController(t.value, fileOwnershipStore(join(stateDir, 'ipvs-services.json')), config.global.lvsFlush) } };
  }
  // Every table the config can produce must be programmable: all servers up, and all down (the
  // sorry servers). What nftables cannot do is refused here, with where and what to use instead.
  const base = { virtualServers: config.virtualServers, virtualServerGroups: config.virtualServerGroups };
  const allDown = new Map<string, boolean>();
  config.virtualServers.forEach((vs, v) => vs.realServers.forEach((_, r) => allDown.set(realServerKey(v, r), false)));
  const tables = [desiredTable({ ...base, health: new Map() }).table, desiredTable({ ...base, health: allDown, previousQuorum: new Map() }).table];
  const problems = [...new Set(tables.flatMap((t) => checkNftSupport(t, { approximateLeastConnection: true })))];
  if (problems.length > 0) {
    return { ok: false, code: 'EOPNOTSUPP', message: `the nftables data plane (${sel.value.reason}) cannot program these virtual servers:\n  ${problems.join('\n  ')}` };
  }
  const warnings = tables[0]!.services
    .filter((s) => ['lc', 'wlc', 'sed', 'nq'].includes(s.scheduler))
    .map((s) => `${serviceId(s.key)}: lvs_sched ${s.scheduler} picks by live connection counts, which nftables cannot see; it runs as weighted random here (use IPVS for the real thing)`);
  return { ok: true, value: { name: 'nftables', reason: sel.value.reason, warnings, controller: new NftController(nft, { approximateLeastConnection: true }) } };
}

/** `vigil status` rows for the load balancer. */
export async function lbStatus(lb: LbRuntime, dp: OpenedDataPlane | LbDataPlane) {
  await lb.refreshTable();
  const table = lb.table();
  const checks = await lb.checkStats();
  const byService = new Map((table?.services ?? []).map((s) => [serviceId(s.key), s]));
  return {
    backend: dp.name,
    ...('reason' in dp ? { reason: dp.reason } : {}),
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
 * `drain`: { virtualServer: "TCP 192.0.2.100:80" | index, realServer: "10.0.0.1:80" | index, undo?: true }.
 * A drained real server keeps its entry at weight 0: established connections finish, no new ones.
 */
export async function drainCommand(lb: LbRuntime | undefined, args: Record<string, unknown> | undefined): Promise<unknown> {
  if (!lb) throw new Error('this agent has no virtual_server to drain');
  const vsArg = args?.virtualServer;
  const rsArg = args?.realServer;
  if (vsArg === undefined || rsArg === undefined) throw new Error('drain needs virtualServer and realServer');
  const rows = lb.status();
  const vsNames = [...new Set(rows.map((r) => r.virtualServer))];
  const v = typeof vsArg === 'number' ? vsArg : vsNames.indexOf(String(vsArg));
  if (v < 0 || v >= vsNames.length) throw new Error(`no virtual server "${String(vsArg)}" (virtual servers: ${vsNames.join(', ')})`);
  const mine = rows.filter((r) => r.virtualServer === vsNames[v]);
  const r = typeof rsArg === 'number' ? rsArg : mine.findIndex((x) => `${x.address}:${x.port}` === String(rsArg) || x.address === String(rsArg));
  if (r < 0 || r >= mine.length) throw new Error(`no real server "${String(rsArg)}" in ${vsNames[v]} (real servers: ${mine.map((x) => `${x.address}:${x.port}`).join(', ')})`);
  await lb.drain(v, r, args?.undo !== true);
  return lb.status().filter((x) => x.virtualServer === vsNames[v])[r];
}

