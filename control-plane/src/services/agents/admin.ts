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
 * The state is event-sourced: the latest `director.maintenance` / `instance.move_master` event
 * decides. The overlay's fingerprint joins the revision in the agent's ETag.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
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

export async function overlayFor(ctx: ServiceContext, clusterId: string, directorId: string, directorName: string): Promise<Overlay> {
  const rows = await ctx.db
    .select({ id: events.id, kind: events.kind, instance: events.instance, directorId: events.directorId, details: events.details })
    .from(events)
    .where(and(eq(events.clusterId, clusterId), inArray(events.kind, ['director.maintenance', 'instance.move_master'])))
    .orderBy(desc(events.id))
    .limit(1000);
  let maintenance: boolean | undefined;
  const moves = new Map<string, string | null>();
  let version = 0;
  for (const r of rows) {
    version = Math.max(version, r.id);
    if (r.kind === 'director.maintenance' && r.directorId === directorId && maintenance === undefined) maintenance = r.details.on === true;
    if (r.kind === 'instance.move_master' && r.instance && !moves.has(r.instance)) moves.set(r.instance, (r.details.to as string | null) ?? null);
  }
  return { maintenance: maintenance ?? false, preferred: [...moves].filter(([, to]) => to === directorName).map(([i]) => i).sort(), version };
}

/** The overlay applied to a resolved config. */
export function applyOverlay(config: ResolvedDirectorConfig, o: Overlay): ResolvedDirectorConfig {
  if (o.maintenance) return { ...config, instances: {}, syncGroups: {} };
  if (o.preferred.length === 0) return config;
  const instances = { ...config.instances };
  for (const name of o.preferred) if (instances[name]) instances[name] = { ...instances[name]!, priority: Math.max(instances[name]!.priority, MOVE_MASTER_PRIORITY), nopreempt: false } as never;
  return { ...config, instances };
}

export async function setMaintenance(ctx: ServiceContext, clusterId: string, directorName: string, on: boolean) {
  requireRole(ctx, 'operator');
  const r = await withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const d = await getDirectorOrThrow(tx, cluster, directorName);
    const e = await appendEvent(tx, { kind: 'director.maintenance', siteId: cluster.siteId, clusterId: cluster.id, directorId: d.id, details: { on, director: d.name } });
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
    const inst = spec.vrrpInstances?.[instance];
    if (!inst) throw notFound(`instance "${instance}" in the spec of cluster "${cluster.name}"`);
    let directorId: string | null = null;
    if (to !== null) {
      const d = await getDirectorOrThrow(tx, cluster, to);
      const members = inst.members ?? Object.keys(spec.directors ?? {});
      if (!members.includes(to)) throw validation(`director "${to}" does not run instance "${instance}"`, [{ path: ['body', 'director'], message: `members of ${instance}: ${members.join(', ')}` }]);
      directorId = d.id;
    }
    const e = await appendEvent(tx, { kind: 'instance.move_master', siteId: cluster.siteId, clusterId: cluster.id, directorId, instance, details: { to } });
    await notifyReplicas(tx.db, cluster.id);
    return { instance, to, eventId: e.id };
  });
  revisionChanges.notify(clusterId);
  return r;
}
