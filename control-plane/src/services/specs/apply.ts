import { eq, max } from 'drizzle-orm';
import { notifyReplicas, revisionChanges } from '../agents/notify.ts';
import { clusters, specRevisions } from '../../../../schema/src/tables/index.ts';
import { actorLabel, requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { conflict } from '../../errors.ts';
import type { ClusterSpec } from '../../../../schema/src/spec/cluster.ts';
import { getClusterOrThrow } from '../internal.ts';
import { getRevisionOrThrow, lockCluster, specHash, validateForCluster } from './internal.ts';
import { rememberParsed } from './parsed.ts';
import { PutSpecInput, RollbackInput } from './schemas.ts';

/**
 * Validates a spec and stores it as the cluster's next immutable revision. A rejected spec
 * creates nothing. Re-submitting the current spec is a no-op (`unchanged: true`), so
 * automation can PUT the same document repeatedly.
 */
async function storeRevision(ctx: ServiceContext, clusterId: string, spec: unknown, message: string, rollbackOf: number | null, ifRevision?: number | null) {
  let written: ClusterSpec | undefined;
  const r = await withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const locked = await lockCluster(tx, cluster.id);
    // Checked under the cluster's row lock: no other writer can move it between check and write.
    if (ifRevision !== undefined && (locked.currentRevision ?? 0) !== (ifRevision ?? 0)) {
      throw conflict(`the cluster's spec moved: it is at revision ${locked.currentRevision ?? 0}, not ${ifRevision}; nothing was changed (plan again against the current revision)`, { currentRevision: locked.currentRevision ?? 0, ifRevision });
    }
    const { spec: normalised, warnings } = await validateForCluster(tx, cluster, spec);
    const hash = specHash(normalised);
    if (locked.currentRevision !== null) {
      const current = await getRevisionOrThrow(tx, cluster.id, locked.currentRevision);
      if (current.specHash === hash && rollbackOf === null) return { revision: current, unchanged: true, warnings };
    }
    const [last] = await tx.db
      .select({ number: max(specRevisions.number) })
      .from(specRevisions)
      .where(eq(specRevisions.clusterId, cluster.id));
    const number = (last?.number ?? 0) + 1;
    const [revision] = await tx.db
      .insert(specRevisions)
      .values({ clusterId: cluster.id, number, spec: normalised, specHash: hash, message, rollbackOf, createdBy: actorLabel(tx.actor) })
      .returning();
    await tx.db.update(clusters).set({ currentRevision: number }).where(eq(clusters.id, cluster.id));
    // Delivered at commit to every replica that LISTENs (agents long-polling there wake up).
    await notifyReplicas(tx.db, cluster.id);
    await appendEvent(tx, {
      kind: rollbackOf === null ? 'spec.revision_created' : 'spec.rolled_back',
      siteId: cluster.siteId,
      clusterId: cluster.id,
      details: { revision: number, specHash: hash, message, ...(rollbackOf === null ? {} : { rollbackOf }), warnings: warnings.length },
    });
    written = normalised;
    return { revision: revision!, unchanged: false, warnings };
  });
  // Committed: this replica's agents and checks use the spec it validated (parsed.ts).
  if (written) rememberParsed(r.revision.clusterId, r.revision.number, written);
  return r;
}

export async function putSpec(ctx: ServiceContext, clusterId: string, raw: PutSpecInput) {
  requireRole(ctx, 'operator');
  const input = PutSpecInput.parse(raw);
  const r = await storeRevision(ctx, clusterId, input.spec, input.message ?? '', null, input.ifRevision);
  if (!r.unchanged) revisionChanges.notify(r.revision.clusterId);
  return r;
}

/** Re-applies an old revision's spec as a new revision (re-validated against today's site). */
export async function rollbackSpec(ctx: ServiceContext, clusterId: string, raw: RollbackInput) {
  requireRole(ctx, 'operator');
  const input = RollbackInput.parse(raw);
  const cluster = await getClusterOrThrow(ctx, clusterId);
  const old = await getRevisionOrThrow(ctx, cluster.id, input.revision);
  const r = await storeRevision(ctx, cluster.id, old.spec, input.message ?? `rollback to revision ${old.number}`, old.number);
  revisionChanges.notify(cluster.id);
  return r;
}
