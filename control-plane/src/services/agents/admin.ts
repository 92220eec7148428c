/**
 * Operator actions on directors, carried to the agents as part of their rendered config (so they
 * go through the same pull, diff-apply and report path as a spec change) and recorded in the
 * audit log with the actor:
 *
 * - maintenance on/off: the director leaves every instance gracefully (priority-0 advert, VIPs
 *   removed) and stays out until maintenance is off;
 * - move mastership: the named director runs the instance at priority 254 (above any configured
 *   one short of an address owner), so it preempts; clearing it returns to the spec's priority.
 *
 * Both are desired state held in tables only these operator routes write (`directors.maintenance`,
 * `instance_masters`); the audit log records each write with its actor but is never read back
 * to decide anything, so an event an agent manages to report can change nothing. Each action
 * bumps the cluster's `adminVersion` (its audit event id), which joins the revision in the
 * agents' ETag.
 */
import { and, eq } from 'drizzle-orm';
import { clusters, directors, instanceMasters } from '../../../../schema/src/tables/index.ts';
import type { ResolvedDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { notFound, validation } from '../../errors.ts';
import { requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getClusterOrThrow, getDirectorOrThrow } from '../internal.ts';
import { getRevisionOrThrow } from '../specs/internal.ts';
import { notifyReplicas, revisionChanges } from './notify.ts';

export const MOVE_MASTER_PRIORITY = 254;

export interface Overlay {
  maintenance: boolean;
  /** Instances this director should be master of (priority 254). */
  preferred: string[];
  /** Id of the newest admin event the overlay reflects (0: none). */
  version: number;
}

export async function overlayFor(ctx: ServiceContext, clusterId: string, directorId: string): Promise<Overlay> {
  const [row] = await ctx.db
    .select({ maintenance: directors.maintenance, version: clusters.adminVersion })
    .from(directors)
    .innerJoin(clusters, eq(clusters.id, directors.clusterId))
    .where(and(eq(directors.id, directorId), eq(directors.clusterId, clusterId)))
    .limit(1);
  const preferred = await ctx.db
    .select({ instance: instanceMasters.instance })
    .from(instanceMasters)
    .where(and(eq(instanceMasters.clusterId, clusterId), eq(instanceMasters.directorId, directorId)));
  return { maintenance: row?.maintenance ?? false, preferred: preferred.map((p) => p.instance).sort(), version: row?.version ?? 0 };
}

/** Preferred-master instances of a cluster by director id (for many directors at once). */
export async function preferredByDirector(ctx: ServiceContext, clusterId: string): Promise<Map<string, string[]>> {
  const rows = await ctx.db.select({ instance: instanceMasters.instance, directorId: instanceMasters.directorId }).from(instanceMasters).where(eq(instanceMasters.clusterId, clusterId));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.directorId, [...(out.get(r.directorId) ?? []), r.instance].sort());
  return out;
}

/**
 * The overlay applied to a resolved config. A preferred instance in a sync group brings the whole
 * group: keepalived's vrrp_sync_group moves its members together, so raising one member alone
 * makes the group fight itself (the member preempts, its siblings still lose to the old master's
 * adverts, and the group pulls it back to BACKUP) and nothing moves.
 */
export function applyOverlay(config: ResolvedDirectorConfig, o: Overlay): ResolvedDirectorConfig {
  if (o.maintenance) return { ...config, instances: {}, syncGroups: {} };
  if (o.preferred.length === 0) return config;
  const preferred = new Set(o.preferred);
  for (const g of Object.values(config.syncGroups)) {
    if (g.group.some((n) => preferred.has(n))) for (const n of g.group) preferred.add(n);
  }
  const instances = { ...config.instances };
  for (const name of [...preferred].sort()) {
    const inst = Object.hasOwn(instances, name) ? instances[name] : undefined;
    if (inst) instances[name] = { ...inst, priority: Math.max(inst.priority, MOVE_MASTER_PRIORITY), nopreempt: false };
  }
  return { ...config, instances };
}

export async function setMaintenance(ctx: ServiceContext, clusterId: string, directorName: string, on: boolean) {
  requireRole(ctx, 'operator');
  const r = await withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const d = await getDirectorOrThrow(tx, cluster, directorName);
    const e = await appendEvent(tx, { kind: 'director.maintenance', siteId: cluster.siteId, clusterId: cluster.id, directorId: d.id, details: { on, director: d.name } });
    await tx.db.update(directors).set({ maintenance: on }).where(eq(directors.id, d.id));
    await tx.db.update(clusters).set({ adminVersion: e.id }).where(eq(clusters.id, cluster.id));
    await notifyReplicas(tx.db, cluster.id);
    return { director: d.name, maintenance: on, eventId: e.id };
  });
  revisionChanges.notify(clusterId);
  return r;
}

/** `to` = a director name to make master, or null to go back to the spec's priorities. */
export async function moveMaster(ctx: ServiceContext, clusterId: string, instance: string, to: string | null) {
  requireRole(ctx, 'operator');
  const r = await withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    if (cluster.currentRevision === null) throw notFound(`spec of cluster "${cluster.name}"`);
    const rev = await getRevisionOrThrow(tx, cluster.id, cluster.currentRevision);
    const spec = rev.spec as { vrrpInstances?: Record<string, { members?: string[] }>; directors?: Record<string, unknown> };
    const inst = spec.vrrpInstances && Object.hasOwn(spec.vrrpInstances, instance) ? spec.vrrpInstances[instance] : undefined;
    if (!inst) throw notFound(`instance "${instance}" in the spec of cluster "${cluster.name}"`);
    let directorId: string | null = null;
    if (to !== null) {
      const d = await getDirectorOrThrow(tx, cluster, to);
      const members = inst.members ?? Object.keys(spec.directors ?? {});
      if (!members.includes(to)) throw validation(`director "${to}" does not run instance "${instance}"`, [{ path: ['body', 'director'], message: `members of ${instance}: ${members.join(', ')}` }]);
      directorId = d.id;
    }
    const e = await appendEvent(tx, { kind: 'instance.move_master', siteId: cluster.siteId, clusterId: cluster.id, directorId, instance, details: { to } });
    if (directorId === null) await tx.db.delete(instanceMasters).where(and(eq(instanceMasters.clusterId, cluster.id), eq(instanceMasters.instance, instance)));
    else {
      await tx.db.insert(instanceMasters).values({ clusterId: cluster.id, instance, directorId, eventId: e.id })
        .onConflictDoUpdate({ target: [instanceMasters.clusterId, instanceMasters.instance], set: { directorId, eventId: e.id } });
    }
    await tx.db.update(clusters).set({ adminVersion: e.id }).where(eq(clusters.id, cluster.id));
    await notifyReplicas(tx.db, cluster.id);
    return { instance, to, eventId: e.id };
  });
  revisionChanges.notify(clusterId);
  return r;
}
