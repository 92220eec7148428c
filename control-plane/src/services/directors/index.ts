import { asc, eq } from 'drizzle-orm';
import { directors } from '../../../../schema/src/tables/index.ts';
import { rethrowUnique, requireRole, withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { getClusterOrThrow, getDirectorOrThrow, type DirectorRow } from '../internal.ts';
import { notifyCredentialChange } from '../tokens/sessions.ts';
import { CreateDirectorInput } from './schemas.ts';

export * from './schemas.ts';

/** The public view of a director: never the credential hash. */
export function publicDirector(d: DirectorRow) {
  const { credentialHash: _omit, ...rest } = d;
  return { ...rest, enrolled: d.credentialHash !== null };
}

export async function createDirector(ctx: ServiceContext, clusterId: string, raw: CreateDirectorInput) {
  requireRole(ctx, 'operator');
  const input = CreateDirectorInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const [row] = await tx.db
      .insert(directors)
      .values({ clusterId: cluster.id, name: input.name, labels: input.labels ?? {} })
      .returning()
      .catch((e: unknown) => rethrowUnique(e, `cluster "${cluster.name}" already has a director named "${input.name}"`));
    await appendEvent(tx, { kind: 'director.created', siteId: cluster.siteId, clusterId: cluster.id, directorId: row!.id, details: { name: row!.name } });
    return publicDirector(row!);
  });
}

export async function listDirectors(ctx: ServiceContext, clusterId: string) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  const rows = await ctx.db.select().from(directors).where(eq(directors.clusterId, cluster.id)).orderBy(asc(directors.name));
  return rows.map(publicDirector);
}

export async function getDirector(ctx: ServiceContext, clusterId: string, name: string) {
  requireRole(ctx, 'viewer');
  const cluster = await getClusterOrThrow(ctx, clusterId);
  return publicDirector(await getDirectorOrThrow(ctx, cluster, name));
}

export async function deleteDirector(ctx: ServiceContext, clusterId: string, name: string) {
  requireRole(ctx, 'operator');
  return withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const d = await getDirectorOrThrow(tx, cluster, name);
    await tx.db.delete(directors).where(eq(directors.id, d.id));
    await appendEvent(tx, { kind: 'director.deleted', siteId: cluster.siteId, clusterId: cluster.id, directorId: d.id, details: { name: d.name } });
    await notifyCredentialChange(tx.db, `director:${d.id}`);
    return publicDirector(d);
  });
}

/**
 * An operator's reset of a director's credential: the agent holding it is cut off at once (its
 * WebSocket closes, its requests get 401), and the director name may be enrolled again with
 * the site's enrollment token (a re-install, or a replaced box). Without this reset, or an
 * enrollment token minted for that director name, nobody can re-enroll an existing director.
 */
export async function resetDirectorCredential(ctx: ServiceContext, clusterId: string, name: string) {
  requireRole(ctx, 'operator');
  return withTransaction(ctx, async (tx) => {
    const cluster = await getClusterOrThrow(tx, clusterId);
    const d = await getDirectorOrThrow(tx, cluster, name);
    const [row] = await tx.db.update(directors).set({ credentialHash: null }).where(eq(directors.id, d.id)).returning();
    await appendEvent(tx, { kind: 'director.credential_reset', siteId: cluster.siteId, clusterId: cluster.id, directorId: d.id, details: { name: d.name, wasEnrolled: d.credentialHash !== null } });
    await notifyCredentialChange(tx.db, `director:${d.id}`);
    return publicDirector(row!);
  });
}
