/**
 * Split brain: two directors of a cluster both reporting MASTER for the same instance. Detected
 * from the reported states (fresh ones only: a director silent for 30 s is not counted), logged
 * once per episode as `vrrp.split_brain`, and shown in the fleet view.
 */
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { directors, events } from '../../../../schema/src/tables/index.ts';
import type { ServiceContext } from '../context.ts';
import { REPORT_FRESH_MS, reportedInstances } from './reported.ts';
import { appendEvent } from '../events/append.ts';


/** Instances with more than one fresh MASTER: { instance: [director names] }. */
export async function splitBrains(ctx: ServiceContext, clusterId: string): Promise<Record<string, string[]>> {
  const rows = await ctx.db
    .select({ name: directors.name, state: directors.reportedState, seen: directors.lastSeenAt })
    .from(directors)
    .where(and(eq(directors.clusterId, clusterId), gt(directors.lastSeenAt, new Date(Date.now() - REPORT_FRESH_MS))));
  const masters = new Map<string, string[]>();
  for (const r of rows) {
    for (const i of reportedInstances(r.state)) {
      if (i.state.toUpperCase() !== 'MASTER') continue;
      masters.set(i.name, [...(masters.get(i.name) ?? []), r.name].sort());
    }
  }
  return Object.fromEntries([...masters].filter(([, ds]) => ds.length > 1));
}

export async function detectSplitBrain(ctx: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  const now = await splitBrains(ctx, clusterId);
  for (const [instance, masters] of Object.entries(now)) {
    // Once per episode: skip when the last split-brain event for this instance names the same set
    // and no resolution was logged since.
    const [last] = await ctx.db
      .select({ kind: events.kind, details: events.details })
      .from(events)
      .where(and(eq(events.clusterId, clusterId), eq(events.instance, instance), sql`${events.kind} in ('vrrp.split_brain', 'vrrp.split_brain_resolved')`))
      .orderBy(desc(events.id))
      .limit(1);
    if (last?.kind === 'vrrp.split_brain' && JSON.stringify(last.details.masters) === JSON.stringify(masters)) continue;
    await appendEvent(ctx, { kind: 'vrrp.split_brain', siteId, clusterId, instance, actor: 'system:split-brain', details: { masters } });
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
