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
