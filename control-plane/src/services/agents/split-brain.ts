/**
 * Split brain: two directors of a cluster both reporting MASTER for the same instance. Detected
 * from the reported states (fresh ones only: a director silent for 30 s is not counted), logged
 * once per episode as `vrrp.split_brain` (and `vrrp.split_brain_resolved` when it ends), and
 * shown in the fleet view.
 *
 * Two MASTER claims count only when each was reported after the other director took over: a
 * claim the control plane stored before the other's takeover may simply be stale. A normal
 * handover (a preempt at startup: the new master reports before the old one has said it is
 * BACKUP now) and a crashed master (its last MASTER report stays fresh for 30 s) are not split
 * brain; a real one is confirmed by the next report of either side (state every 5 s at most).
 * The rule is shared with the fleet map and cluster status (masters.ts). An episode, once logged,
 * ends only when fewer than two fresh directors claim MASTER (hysteresis: the takeover order
 * decides when an episode starts, not when it ends).
 */
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { directors, events } from '../../../../schema/src/tables/index.ts';
import { withTransaction, type ServiceContext } from '../context.ts';
import { REPORT_FRESH_MS, reportedInstances } from './reported.ts';
import { appendEvent } from '../events/append.ts';
import { currentClaims, takeoverTimes } from './masters.ts';

/** Instances with more than one fresh MASTER, each claim made after the others took over: { instance: [director names] }. */
export async function splitBrains(ctx: ServiceContext, clusterId: string): Promise<Record<string, string[]>> {
  return (await masterClaims(ctx, clusterId)).counting;
}

/**
 * The fresh MASTER claims of a cluster's instances: `claimed` every instance two or more fresh
 * directors say they are MASTER of (their names), `counting` those whose claims still count once
 * the takeover order is applied (currentClaims).
 */
async function masterClaims(ctx: ServiceContext, clusterId: string): Promise<{ counting: Record<string, string[]>; claimed: Map<string, string[]> }> {
  const rows = await ctx.db
    .select({ id: directors.id, name: directors.name, state: directors.reportedState, seen: directors.lastSeenAt })
    .from(directors)
    .where(and(eq(directors.clusterId, clusterId), gt(directors.lastSeenAt, new Date(Date.now() - REPORT_FRESH_MS))));
  const masters = new Map<string, typeof rows>();
  for (const r of rows) {
    for (const i of reportedInstances(r.state)) {
      if (i.state.toUpperCase() !== 'MASTER') continue;
      masters.set(i.name, [...(masters.get(i.name) ?? []), r]);
    }
  }
  const contested = [...masters].filter(([, ds]) => ds.length > 1);
  const claimed = new Map(contested.map(([i, ds]) => [i, ds.map((d) => d.name).sort()]));
  if (contested.length === 0) return { counting: {}, claimed };
  const takeovers = await takeoverTimes(ctx, clusterId, [...new Set(contested.flatMap(([, ds]) => ds.map((d) => d.id)))], contested.map(([i]) => i));
  const out: Record<string, string[]> = {};
  for (const [instance, ds] of contested) {
    const counting = currentClaims(ds.map((d) => ({ director: d.name, seenAt: d.seen!.getTime(), takeoverAt: takeovers.get(`${d.id}/${instance}`) ?? null })));
    if (counting.length > 1) out[instance] = counting.map((c) => c.director).sort();
  }
  return { counting: out, claimed };
}

/**
 * Logs each episode once: `vrrp.split_brain` when an instance gets two or more counting
 * masters (or a different set of them), `vrrp.split_brain_resolved` when it no longer has, so
 * the next episode is logged again. Runs on every report that carries a state; the episode
 * lookup reads only these two (rare) kinds.
 */
export async function detectSplitBrain(outer: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  // One detection per cluster at a time: two reports landing together (both directors of a
  // starting cluster, say) must not each log the same episode.
  await withTransaction(outer, async (ctx) => {
    await ctx.db.execute(sql`select pg_advisory_xact_lock(${SPLIT_BRAIN_LOCK_KEY}, hashtext(${clusterId}))`);
    await detect(ctx, siteId, clusterId);
  });
}

/** Arbitrary but fixed first key of the per-cluster detection lock ("vsb"). */
const SPLIT_BRAIN_LOCK_KEY = 0x76_73_62;

async function detect(ctx: ServiceContext, siteId: string, clusterId: string): Promise<void> {
  const { counting: now, claimed } = await masterClaims(ctx, clusterId);
  const open = await ctx.db
    .selectDistinctOn([events.instance], { instance: events.instance, kind: events.kind, details: events.details })
    .from(events)
    .where(and(sql`${events.kind} in ('vrrp.split_brain', 'vrrp.split_brain_resolved')`, eq(events.clusterId, clusterId)))
    .orderBy(events.instance, desc(events.id));
  const lastOf = new Map(open.map((e) => [e.instance, e]));
  for (const [instance, masters] of Object.entries(now)) {
    const last = lastOf.get(instance);
    if (last?.kind === 'vrrp.split_brain' && JSON.stringify(last.details.masters) === JSON.stringify(masters)) continue;
    await appendEvent(ctx, { kind: 'vrrp.split_brain', siteId, clusterId, instance, actor: 'system:split-brain', details: { masters } });
  }
  for (const e of open) {
    if (e.kind !== 'vrrp.split_brain' || !e.instance || now[e.instance]) continue;
    // An episode ends when fewer than two fresh directors claim MASTER, not when the takeover
    // order stops counting one claim for a moment: a side's takeover event stored after the
    // report that started the episode (its state came first), or a side taking over again,
    // leaves the other's claim uncounted until its next report, and the soak saw the episode
    // logged as ended and begun again within one partition.
    if ((claimed.get(e.instance)?.length ?? 0) > 1) continue;
    await appendEvent(ctx, { kind: 'vrrp.split_brain_resolved', siteId, clusterId, instance: e.instance, actor: 'system:split-brain', details: { masters: e.details.masters } });
  }
}

/** Whether a reported state claims MASTER of anything: only such a report can start a split brain. */
export function claimsMaster(state: unknown): boolean {
  return reportedInstances(state).some((i) => i.state.toUpperCase() === 'MASTER');
}

/** Whether an event is a transition away from MASTER: only such a report can end a split brain. */
export function leavesMaster(e: { kind: string; details?: Record<string, unknown> }): boolean {
  return e.kind === 'vrrp.transition' && e.details?.from === 'master' && e.details?.to !== 'master';
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
