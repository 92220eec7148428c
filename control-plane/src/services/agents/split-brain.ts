/**
 * Split brain: two directors of a cluster both reporting MASTER for the same instance. Detected
 * from the reported states (fresh ones only: a director silent for 30 s is not counted), logged
 * once per episode as `vrrp.split_brain` (and its end once as `vrrp.split_brain_resolved`), and
 * shown in the fleet view.
 *
 * Two MASTER claims count only when each was reported after the other director took over: a
 * claim the control plane stored before the other's takeover may simply be stale. A normal
 * handover (a preempt at startup: the new master reports before the old one has said it is
 * BACKUP now) and a crashed master (its last MASTER report stays fresh for 30 s) are not split
 * brain; a real one is confirmed by the next report of either side (state every 5 s at most).
 * "Took over" is the receive time of the director's last transition to MASTER (a director with
 * none on record counts as master since forever); "reported" is its last report. The two come
 * from the control plane's and the database's clocks, which are one clock on one host and
 * NTP-close otherwise: far below the seconds between reports that this ordering relies on.
 */
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { directors, events } from '../../../../schema/src/tables/index.ts';
import type { ServiceContext } from '../context.ts';
import { REPORT_FRESH_MS, reportedInstances } from './reported.ts';
import { appendEvent } from '../events/append.ts';

/** Instances with more than one fresh MASTER, each claim made after the others took over: { instance: [director names] }. */
export async function splitBrains(ctx: ServiceContext, clusterId: string): Promise<Record<string, string[]>> {
  const rows = await ctx.db
    .select({ name: directors.name, state: directors.reportedState, seen: directors.lastSeenAt })
    .from(directors)
    .where(and(eq(directors.clusterId, clusterId), gt(directors.lastSeenAt, new Date(Date.now() - REPORT_FRESH_MS))));
  const masters = new Map<string, Array<{ name: string; seen: number }>>();
  for (const r of rows) {
    for (const i of reportedInstances(r.state)) {
      if (i.state.toUpperCase() !== 'MASTER') continue;
      masters.set(i.name, [...(masters.get(i.name) ?? []), { name: r.name, seen: r.seen?.getTime() ?? 0 }]);
    }
  }
  const candidates = [...masters].filter(([, ds]) => ds.length > 1);
  if (candidates.length === 0) return {};
  const took = await ctx.db
    .select({ director: directors.name, instance: events.instance, at: sql<Date>`max(${events.receivedAt})`.mapWith(events.receivedAt) })
    .from(events)
    .innerJoin(directors, eq(directors.id, events.directorId))
    .where(and(eq(events.clusterId, clusterId), eq(events.kind, 'vrrp.transition'), inArray(events.instance, candidates.map(([i]) => i)), sql`${events.details}->>'to' = 'master'`))
    .groupBy(directors.name, events.instance);
  const since = (d: string, i: string) => took.find((t) => t.director === d && t.instance === i)?.at?.getTime() ?? -Infinity;
  const out: Record<string, string[]> = {};
  for (const [instance, ds] of candidates) {
    const confirmed = ds.filter((x) => ds.some((y) => y !== x && x.seen > since(y.name, instance) && y.seen > since(x.name, instance)));
    if (confirmed.length > 1) out[instance] = confirmed.map((x) => x.name).sort();
  }
  return out;
}

export async function detectSplitBrain(ctx: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  const now = await splitBrains(ctx, clusterId);
  // The newest split-brain event of each instance of the cluster (few rows: episodes are rare).
  const last = new Map((await ctx.db
    .selectDistinctOn([events.instance], { instance: events.instance, kind: events.kind, details: events.details })
    .from(events)
    .where(and(eq(events.clusterId, clusterId), sql`${events.kind} in ('vrrp.split_brain', 'vrrp.split_brain_resolved')`))
    .orderBy(events.instance, desc(events.id))).map((r) => [r.instance ?? '', r]));
  for (const [instance, masters] of Object.entries(now)) {
    // Once per episode: skip when the last split-brain event for this instance names the same set
    // and no resolution was logged since.
    const l = last.get(instance);
    if (l?.kind === 'vrrp.split_brain' && JSON.stringify(l.details.masters) === JSON.stringify(masters)) continue;
    await appendEvent(ctx, { kind: 'vrrp.split_brain', siteId, clusterId, instance, actor: 'system:split-brain', details: { masters } });
  }
  // An episode ends when at most one fresh, confirmed master is left: said once, with who held it.
  for (const [instance, l] of last) {
    if (l.kind !== 'vrrp.split_brain' || now[instance]) continue;
    await appendEvent(ctx, { kind: 'vrrp.split_brain_resolved', siteId, clusterId, instance, actor: 'system:split-brain', details: { masters: l.details.masters } });
  }
}

/** Whether a reported state claims MASTER of anything: only such a report can start a split brain. */
export function claimsMaster(state: unknown): boolean {
  return reportedInstances(state).some((i) => i.state.toUpperCase() === 'MASTER');
}

const checks = new Map<string, { running: Promise<void>; again?: Promise<void> }>();

/**
 * Split-brain detection for a cluster, coalesced: while one check runs, every further request
 * shares a single follow-up check (which sees all their reports), so a burst of reports from a
 * cluster costs two checks, not one per report.
 */
export function splitBrainCheck(ctx: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  const entry = checks.get(clusterId);
  if (entry) {
    entry.again ??= entry.running.then(() => splitBrainCheckNow(ctx, siteId, clusterId));
    return entry.again;
  }
  return splitBrainCheckNow(ctx, siteId, clusterId);
}

function splitBrainCheckNow(ctx: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  const running = detectSplitBrain({ db: ctx.db, actor: ctx.actor }, siteId, clusterId).catch(() => undefined).finally(() => {
    const e = checks.get(clusterId);
    if (e?.running === running) {
      if (e.again) checks.set(clusterId, { running: e.again });
      else checks.delete(clusterId);
    }
  });
  checks.set(clusterId, { running });
  return running;
}
