/**
 * What `vigil status --json` prints. Other tools and tests read this shape; extend it, never
 * rename fields:
 *
 *   { pid, director, instances: [{ name, vrid, version, family, interface, state, priority,
 *     basePriority, masterSeen: { address, priority } | null, vips: string[], vipsHeld,
 *     tracked: [{ name, up, weight }], lastTransition, counters: { advertsRx, advertsTx,
 *     priorityZeroRx, priorityZeroTx, garpBurstsTx, transitions, drops: { reason: n } } }] }
 */
import type { ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';
import type { TrackedObjectStatus } from '../vrrp/priority.ts';
import type { RunningInstance } from './instance.ts';

export interface InstanceStatus {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: 'ipv4' | 'ipv6';
  interface: string;
  state: string;
  priority: number;
  basePriority: number;
  masterSeen: { address: string; priority: number | null } | null;
  vips: string[];
  vipsHeld: boolean;
  tracked: { name: string; up: boolean; weight: number }[];
  lastTransition: { from: string; to: string; reason: string } | null;
  counters: Record<string, number | Record<string, number>>;
}

export interface AgentStatus {
  pid: number;
  director?: string;
  instances: InstanceStatus[];
}

/** What status needs from the agent (agent.ts calls this; status.ts never imports the agent). */
export interface StatusSource {
  readonly instances: ReadonlyMap<string, RunningInstance>;
  resolved(name: string): ResolvedVrrpInstance | undefined;
  trackedStatus(inst: ResolvedVrrpInstance): TrackedObjectStatus[];
}

export function statusOf(agent: StatusSource): AgentStatus {
  const instances: InstanceStatus[] = [];
  for (const inst of agent.instances.values()) {
    const s = inst.state;
    const r = agent.resolved(inst.name);
    instances.push({
      name: inst.name,
      vrid: s.config.vrid,
      version: s.config.version,
      family: s.config.family,
      interface: inst.plan.socket.ifname,
      state: s.state.toUpperCase(),
      priority: s.priority,
      basePriority: s.config.priority,
      masterSeen: s.state === 'master' ? { address: s.config.primaryAddress, priority: s.priority } : s.masterAddress ? { address: s.masterAddress, priority: s.masterPriority } : null,
      vips: inst.plan.vips.map((v) => `${v.address}/${v.prefixLength}`),
      vipsHeld: inst.vipsHeld,
      tracked: r ? agent.trackedStatus(r).map((t) => ({ name: t.name, up: t.up, weight: t.weight })) : [],
      lastTransition: s.lastTransition ? { from: s.lastTransition.from, to: s.lastTransition.to, reason: s.lastTransition.reason } : null,
      counters: { ...s.counters, drops: { ...s.counters.drops } },
    });
  }
  return { pid: process.pid, instances };
}
