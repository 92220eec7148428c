/**
 * The soak's fault catalogue. Each fault injects one thing a real fleet suffers, holds it, heals
 * it, and says what it did: which cluster it touched, whether it may move a master (disruptive)
 * or must not (a failover during it is a false one), and which instances' masters it hit (each
 * of those must show up in /v1/failovers). Faults act on the real parts: signals to the agents'
 * processes, nftables in the switch and in the namespaces (partitions, advert loss), links, the control plane's and
 * Postgres's processes, the database proxy, the agents' state filesystems, the agent's clock.
 */
import { statfsSync, unlinkSync, writeFileSync, openSync, closeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { SoakLab } from './lab.ts';
import type { FaultWindow } from '#agent/cli/lab/judge.ts';
import type { Rng } from '#agent/cli/lab/rng.ts';
import { ADVERT_MS, CLOCK_DIRECTOR, CLUSTERS, DIRECTORS, clusterOf, clusterSpec, masterDownMs, type ClusterLayout, type SegmentName } from './topology.ts';

export const FAULT_KINDS = [
  'agent-kill', 'agent-term', 'agent-freeze', 'segment-partition', 'link-flap', 'loss-tolerated', 'loss-beyond',
  'cp-kill', 'pg-kill', 'pg-failover', 'db-stall', 'cp-partition', 'spec-change', 'maintenance', 'move-master',
  'disk-full', 'disk-readonly', 'clock-step', 'delay-tolerated', 'delay-beyond',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What a fault did: its window's judged fields (judge.ts FaultWindow) without the times. */
export interface FaultOutcome extends Omit<FaultWindow, 'kind' | 'start' | 'end' | 'steadyAt' | 'error'> {
  /**
   * It may leave two masters for a moment without splitting the segment (the master's adverts
   * lost while it still holds the VIP: the backup takes over and the old master does not know).
   * A split brain logged in its window is real, not spurious; detecting it is not required (it
   * may end before a report says so).
   */
  secondMaster?: boolean;
  /** Agents the lab restarted on purpose (their pid changes legitimately). */
  restarted: string[];
  note?: string;
}

export interface FaultDef {
  kind: FaultKind;
  run(lab: SoakLab, rng: Rng): Promise<FaultOutcome>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough for any backup to declare the master down (lowest priority in the lab is 50). */
export const DOWN_MS = Math.ceil(masterDownMs(50));
/** An operator's move-master lands within this (rollout, then the priority change's election). */
export const MOVE_WITHIN_MS = 30_000;
/** How long a segment partition is held: past 2 report intervals after both sides are master (the detection bound). */
export const PARTITION_HOLD_MS = DOWN_MS + 14_000;

/** The instances of a cluster that `host` holds now (its VIP is on its interface). */
function heldBy(lab: SoakLab, c: ClusterLayout, host: string): string[] {
  const holders = lab.holders();
  return Object.entries(c.instances).filter(([, i]) => holders[i.vip.split('/')[0]!]?.includes(host)).map(([n]) => n);
}

/** The Vigil director holding the cluster's first VIP (its first director if none does). */
function masterOf(lab: SoakLab, c: ClusterLayout): string {
  const [first] = Object.values(c.instances);
  return lab.holders()[first!.vip.split('/')[0]!]?.find((h) => c.directors.includes(h)) ?? c.directors[0]!;
}

async function waitAgent(lab: SoakLab, d: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!lab.roots[d]!.agentPid()) {
    if (Date.now() > until) throw new Error(`${d}: the agent did not come back in ${timeoutMs} ms: ${lab.roots[d]!.log()}`);
    await sleep(100);
  }
}

async function restartAgent(lab: SoakLab, d: string): Promise<void> {
  const r = await lab.roots[d]!.startAgent();
  if (r.code !== 0) throw new Error(`${d}: restart failed: ${r.out}`);
  await waitAgent(lab, d);
}

async function waitAgentGone(lab: SoakLab, d: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (lab.roots[d]!.agentPid()) {
    if (Date.now() > until) throw new Error(`${d}: the agent did not exit in ${timeoutMs} ms`);
    await sleep(100);
  }
}

const pickDirector = (rng: Rng) => rng.pick(DIRECTORS);

/** A spec change the directors must apply: one more VIP on the cluster's first instance. */
async function changeSpec(lab: SoakLab, c: ClusterLayout): Promise<number> {
  const id = lab.clusterIds[c.cluster]!;
  const cur = await lab.apiOk<{ number: number }>('GET', `/v1/clusters/${id}/spec`);
  const [first] = Object.keys(c.instances);
  const extra = `10.${c.segment.slice(1)}.0.${50 + (cur.number % 40)}/24`;
  await lab.apiOk('PUT', `/v1/clusters/${id}/spec`, { spec: clusterSpec(c, { [first!]: [extra] }), message: 'soak: spec change' });
  return cur.number;
}

/** A spec change, 8 s to land, its rollback, 4 s to land (the rollback's apply is waited for by the caller). */
async function changeAndRollBack(lab: SoakLab, c: ClusterLayout): Promise<void> {
  const before = await changeSpec(lab, c);
  await sleep(8000);
  await lab.apiOk('POST', `/v1/clusters/${lab.clusterIds[c.cluster]}/rollback`, { revision: before, message: 'soak: rollback' });
  await sleep(4000);
}

/** Waits until every director of the cluster runs the desired revision (bounded; says so if not). */
async function waitApplied(lab: SoakLab, c: ClusterLayout, timeoutMs: number): Promise<boolean> {
  const id = lab.clusterIds[c.cluster]!;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await lab.api('GET', `/v1/clusters/${id}/directors`);
    const spec = await lab.api('GET', `/v1/clusters/${id}/spec`);
    const want = (spec.body as { number?: number } | null)?.number;
    const items = (r.body as { items?: Array<{ appliedRevision?: number | null }> } | null)?.items ?? [];
    if (want !== undefined && items.length > 0 && items.every((d) => d.appliedRevision === want)) return true;
    await sleep(500);
  }
  return false;
}

export const FAULTS: FaultDef[] = [
  {
    kind: 'agent-kill',
    async run(lab, rng) {
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const victims = heldBy(lab, c, d);
      lab.roots[d]!.kill('SIGKILL');
      await waitAgentGone(lab, d);
      await sleep(DOWN_MS + 1500);
      await restartAgent(lab, d);
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'silent', restarted: [d] };
    },
  },
  {
    kind: 'agent-term',
    async run(lab, rng) {
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const victims = heldBy(lab, c, d);
      lab.roots[d]!.kill('SIGTERM');
      await waitAgentGone(lab, d);
      await sleep(2000);
      await restartAgent(lab, d);
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'graceful', restarted: [d] };
    },
  },
  {
    kind: 'agent-freeze',
    async run(lab, rng) {
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const victims = heldBy(lab, c, d);
      lab.roots[d]!.kill('SIGSTOP');
      await sleep(DOWN_MS + 2000);
      lab.roots[d]!.kill('SIGCONT');
      // A frozen master wakes up still MASTER, and is until the first advert it hears from the
      // one that took over: a real second master for a moment, which a report may catch.
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'silent', restarted: [], ...(victims.length ? { secondMaster: true } : {}) };
    },
  },
  {
    kind: 'segment-partition',
    async run(lab, rng) {
      const c = rng.pick(CLUSTERS);
      const d = rng.pick(c.directors);
      // Every instance gets a second master: the cut-off side or the rest elects one.
      const victims = Object.keys(c.instances);
      // Every segment the cluster's VRRP runs on (web's sync group spans two): cutting only one
      // leaves a sync group that hears its peer on the other, which flaps instead of splitting.
      const segments = [...new Set(Object.values(c.instances).map((i) => (i.iface === 'eth1' ? 'c1in' : c.segment)))] as SegmentName[];
      for (const s of segments) lab.partition(s, d);
      try {
        await sleep(PARTITION_HOLD_MS);
      } finally {
        for (const s of segments) lab.healPartition(s);
      }
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: true, restarted: [], note: `${d} cut off on ${segments.join('+')}` };
    },
  },
  {
    kind: 'link-flap',
    async run(lab, rng) {
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const victims = heldBy(lab, c, d);
      const ifs = [...new Set(Object.values(c.instances).map((i) => i.iface))];
      for (let n = 0; n < 3; n++) {
        for (const i of ifs) lab.setLink(d, i, false);
        await sleep(rng.int(300, 1500));
        for (const i of ifs) lab.setLink(d, i, true);
        await sleep(rng.int(500, 2000));
      }
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, restarted: [] };
    },
  },
  {
    kind: 'loss-tolerated',
    async run(lab, rng) {
      // Within the timers' tolerance: the master-down interval is 3 adverts + skew, so losing 2%
      // of them (3 in a row: 8e-6 per advert) must never move a master.
      const c = rng.pick(CLUSTERS);
      const hosts = [...c.directors, ...c.keepalived];
      for (const h of hosts) lab.dropVrrp(h, 2);
      try {
        await sleep(30_000);
      } finally {
        for (const h of hosts) lab.clearDrop(h);
      }
      return { target: c.segment, cluster: c.cluster, disruptive: false, victims: [], splitBrain: false, restarted: [], note: '2% of adverts lost' };
    },
  },
  {
    kind: 'loss-beyond',
    async run(lab, rng) {
      // Beyond it: every advert the master sends is lost for longer than the master-down interval.
      const c = rng.pick(CLUSTERS);
      const d = masterOf(lab, c);
      const victims = heldBy(lab, c, d);
      lab.dropVrrp(d, 100);
      try {
        await sleep(DOWN_MS + 4000);
      } finally {
        lab.clearDrop(d);
      }
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'silent', secondMaster: true, restarted: [] };
    },
  },
  {
    kind: 'delay-tolerated',
    async run(lab, rng) {
      // The master's adverts arrive an interval late: the gap a backup sees once is interval +
      // delay (2 s), under its Master_Down_Interval (3.6 s), and after that they come every
      // interval again. No master may move.
      const c = rng.pick(CLUSTERS);
      const d = masterOf(lab, c);
      await lab.delayVrrp(d, ADVERT_MS);
      try {
        await sleep(30_000);
      } finally {
        await lab.clearDelay(d);
      }
      return { target: d, cluster: c.cluster, disruptive: false, victims: [], splitBrain: false, restarted: [], note: `adverts ${ADVERT_MS} ms late` };
    },
  },
  {
    kind: 'delay-beyond',
    async run(lab, rng) {
      // Later than the Master_Down_Interval: the backups take over, then the master's late
      // adverts (higher priority) make them yield while it never stopped being master. Its
      // instances move twice and two masters hold them for a moment (as with loss beyond).
      const c = rng.pick(CLUSTERS);
      const d = masterOf(lab, c);
      const victims = heldBy(lab, c, d);
      const late = DOWN_MS + 2000;
      await lab.delayVrrp(d, late);
      try {
        await sleep(late + 4000);
      } finally {
        await lab.clearDelay(d);
      }
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'silent', secondMaster: true, restarted: [], note: `adverts ${late} ms late` };
    },
  },
  {
    kind: 'cp-kill',
    async run(lab) {
      await lab.killControlPlane();
      await sleep(5000);
      await lab.startControlPlane();
      return { target: 'control-plane', disruptive: false, victims: [], splitBrain: false, restarted: [] };
    },
  },
  {
    kind: 'pg-kill',
    async run(lab) {
      const n = lab.pg.primary;
      await lab.pg.crashRestartPrimary(3000);
      return { target: n, disruptive: false, victims: [], splitBrain: false, restarted: [] };
    },
  },
  {
    kind: 'pg-failover',
    async run(lab) {
      if (!lab.pg.replicaReady) {
        // The last failover's replica is still being built: stall the database instead.
        await lab.cpSide.call('mode', 'stall');
        await sleep(8000);
        await lab.cpSide.call('mode', 'forward');
        return { target: 'db-proxy', disruptive: false, victims: [], splitBrain: false, restarted: [], note: 'no replica yet: stalled instead' };
      }
      const { from, to } = await lab.pg.failover();
      await lab.pointProxyAt(to);
      return { target: `${from}->${to}`, disruptive: false, victims: [], splitBrain: false, restarted: [] };
    },
  },
  {
    kind: 'db-stall',
    async run(lab, rng) {
      const reset = rng.next() < 0.5;
      await lab.cpSide.call('mode', 'stall');
      await sleep(rng.int(3000, 12_000));
      if (reset) await lab.cpSide.call('reset');
      await lab.cpSide.call('mode', 'forward');
      return { target: 'db-proxy', disruptive: false, victims: [], splitBrain: false, restarted: [], note: reset ? 'stall then reset' : 'stall' };
    },
  },
  {
    kind: 'cp-partition',
    async run(lab, rng) {
      lab.setLink('cp', 'mgmt0', false);
      try {
        await sleep(rng.int(8000, 20_000));
      } finally {
        lab.setLink('cp', 'mgmt0', true);
      }
      return { target: 'control-plane', disruptive: false, victims: [], splitBrain: false, restarted: [] };
    },
  },
  {
    kind: 'spec-change',
    async run(lab, rng) {
      const c = rng.pick(CLUSTERS);
      const before = await changeSpec(lab, c);
      const applied = await waitApplied(lab, c, 30_000);
      await lab.apiOk('POST', `/v1/clusters/${lab.clusterIds[c.cluster]}/rollback`, { revision: before, message: 'soak: rollback' });
      const back = await waitApplied(lab, c, 30_000);
      return { target: c.cluster, cluster: c.cluster, disruptive: false, victims: [], splitBrain: false, restarted: [], note: applied && back ? 'applied, rolled back' : 'NOT APPLIED in 30 s' };
    },
  },
  {
    kind: 'maintenance',
    async run(lab, rng) {
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const victims = heldBy(lab, c, d);
      const path = `/v1/clusters/${lab.clusterIds[c.cluster]}/directors/${d}/maintenance`;
      await lab.apiOk('PUT', path, { on: true });
      try {
        await sleep(8000);
      } finally {
        await lab.apiOk('PUT', path, { on: false });
      }
      return { target: d, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'graceful', restarted: [] };
    },
  },
  {
    kind: 'move-master',
    async run(lab, rng) {
      const c = rng.pick(CLUSTERS);
      const [instance, i] = rng.pick(Object.entries(c.instances));
      const vip = i.vip.split('/')[0]!;
      const holder = lab.holders()[vip]?.[0];
      const to = c.directors.find((d) => d !== holder) ?? c.directors[0]!;
      const path = `/v1/clusters/${lab.clusterIds[c.cluster]}/instances/${instance}/master`;
      await lab.apiOk('PUT', path, { director: to });
      let moved = false;
      try {
        // Held until the move has happened (a rollout right after a control-plane restart can
        // take seconds), then a few seconds more: a move reverted before it lands moves nothing.
        const until = Date.now() + MOVE_WITHIN_MS;
        while (!moved && Date.now() < until) {
          const now = lab.holders()[vip];
          moved = now?.length === 1 && now[0] === to;
          if (!moved) await sleep(250);
        }
        if (moved) await sleep(4000);
      } finally {
        await lab.apiOk('PUT', path, { director: null });
      }
      if (!moved) throw new Error(`${instance} did not move to ${to} within ${MOVE_WITHIN_MS / 1000} s of the operator's move`);
      // A sync group moves together (keepalived's vrrp_sync_group): its members move too.
      const members = c.syncGroup?.members.includes(instance) ? c.syncGroup.members : [instance];
      const victims = holder && c.directors.includes(holder) ? members : [];
      return { target: `${instance}->${to}`, cluster: c.cluster, disruptive: true, victims, splitBrain: false, departure: 'graceful', restarted: [] };
    },
  },
  {
    kind: 'disk-full',
    async run(lab, rng) {
      // The state filesystem fills up while the director must write events (a spec change
      // lands meanwhile): it keeps electing, and its outbox catches up when space returns.
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      const fill = join(lab.stateFs(d), 'soak-fill');
      const free = (() => { const s = statfsSync(lab.stateFs(d)); return s.bavail * s.bsize; })();
      const fd = openSync(fill, 'w');
      try {
        ftruncateSync(fd, 0);
        // Write zeros until the filesystem refuses (ENOSPC).
        const chunk = Buffer.alloc(1 << 20);
        for (let written = 0; written < free + (1 << 20); written += chunk.length) {
          try { writeFileSync(fd, chunk); } catch { break; }
        }
      } finally {
        closeSync(fd);
      }
      let note = '';
      try {
        await changeAndRollBack(lab, c);
      } finally {
        unlinkSync(fill);
      }
      if (!(await waitApplied(lab, c, 30_000))) note = 'rollback NOT APPLIED 30 s after space returned';
      return { target: d, cluster: c.cluster, disruptive: false, victims: [], splitBrain: false, restarted: [], ...(note ? { note } : {}) };
    },
  },
  {
    kind: 'disk-readonly',
    async run(lab, rng) {
      // The state filesystem goes read-only under the agent while a spec change and a rollback
      // land: it keeps electing and applying, its events are delivered from memory, and it says
      // so (agent.state_disk). Then the repair an operator makes: stop the agent (its VIPs move,
      // gracefully), e2fsck, mount, start it. Its outbox then counts from before the disk
      // failed: the control plane's conflicts make it number its new events above the ones it
      // delivered meanwhile, so none is taken for a duplicate.
      const d = pickDirector(rng);
      const c = clusterOf(d)!;
      lab.failStateFs(d);
      let victims: string[] = [];
      try {
        await changeAndRollBack(lab, c);
      } finally {
        victims = heldBy(lab, c, d);
        lab.roots[d]!.kill('SIGTERM');
        await waitAgentGone(lab, d);
        try {
          await lab.repairStateFs(d);
        } finally {
          await restartAgent(lab, d);
        }
      }
      const note = (await waitApplied(lab, c, 30_000)) ? 'repaired and restarted' : 'rollback NOT APPLIED 30 s after the repair';
      return { target: d, cluster: c.cluster, disruptive: victims.length > 0, victims, splitBrain: false, departure: 'graceful', restarted: [d], note };
    },
  },
  {
    kind: 'clock-step',
    async run(lab, rng) {
      const step = rng.pick([-1, 1]) * rng.int(60, 600);
      lab.setClockOffset(step);
      await sleep(15_000);
      lab.setClockOffset(0);
      return { target: CLOCK_DIRECTOR, cluster: clusterOf(CLOCK_DIRECTOR)!.cluster, disruptive: false, victims: [], splitBrain: false, restarted: [], note: `${step > 0 ? '+' : ''}${step} s` };
    },
  },
];
