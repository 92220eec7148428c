/**
 * An agent trades an enrollment token for its own credential. The director is registered in
 * the named cluster of the token's site (created if the operator did not pre-create it). Only
 * the credential's hash is stored. Each enrollment uses the token once.
 *
 * Enrollment cannot steal an identity: a director that already holds a credential can be
 * enrolled again only with a token minted for that director name (the old credential then stops
 * working at once), or after an operator reset its credential. A site-wide token that leaked
 * from one box is therefore useless against every other director of the site.
 */
import { and, eq, sql } from 'drizzle-orm';
import { clusters, directors, enrollmentTokens, sites } from '../../../../schema/src/tables/index.ts';
import { forbidden, notFound, AppError } from '../../errors.ts';
import { withTransaction, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';
import { hashSecret, newSecret } from '../tokens/secrets.ts';
import { notifyCredentialChange } from '../tokens/sessions.ts';
import { EnrollInput } from './schemas.ts';

export async function enrollAgent(ctx: ServiceContext, raw: EnrollInput) {
  const actor = ctx.actor;
  if (actor.type !== 'enrollment') throw forbidden('enroll with an enrollment token (vge_…) as the bearer');
  const input = EnrollInput.parse(raw);
  return withTransaction(ctx, async (tx) => {
    // Count the use first, conditionally: two agents racing for the last use cannot both win.
    const used = await tx.db
      .update(enrollmentTokens)
      .set({ uses: sql`${enrollmentTokens.uses} + 1` })
      .where(and(eq(enrollmentTokens.id, actor.tokenId), sql`${enrollmentTokens.uses} < ${enrollmentTokens.maxUses}`))
      .returning({ id: enrollmentTokens.id });
    if (used.length === 0) throw new AppError('UNAUTHORIZED', 'enrollment token is used up');
    const [site] = await tx.db.select().from(sites).where(eq(sites.id, actor.siteId)).limit(1);
    const [cluster] = await tx.db.select().from(clusters).where(and(eq(clusters.siteId, actor.siteId), eq(clusters.name, input.cluster))).limit(1);
    if (!site || !cluster) throw notFound(`cluster "${input.cluster}" in site "${site?.name ?? actor.siteId}"`);
    if (actor.directorName !== null && (actor.directorName !== input.director || actor.clusterName !== input.cluster)) {
      throw forbidden(`this enrollment token is for director "${actor.directorName}" of cluster "${actor.clusterName}" only`);
    }
    const credential = newSecret('vga');
    const [existing] = await tx.db.select().from(directors).where(and(eq(directors.clusterId, cluster.id), eq(directors.name, input.director))).limit(1);
    if (existing?.credentialHash && actor.directorName === null) {
      throw new AppError('CONFLICT', `director "${input.director}" of cluster "${cluster.name}" is already enrolled: to re-enroll it, reset its credential (DELETE /v1/clusters/${cluster.id}/directors/${input.director}/credential) or mint an enrollment token for that director ({"cluster":"${cluster.name}","director":"${input.director}"})`);
    }
    const [row] = existing
      ? await tx.db.update(directors).set({ credentialHash: hashSecret(credential), ...(input.labels ? { labels: input.labels } : {}) }).where(eq(directors.id, existing.id)).returning()
      : await tx.db.insert(directors).values({ clusterId: cluster.id, name: input.director, labels: input.labels ?? {}, credentialHash: hashSecret(credential) }).returning();
    if (existing?.credentialHash) await notifyCredentialChange(tx.db, `director:${existing.id}`);
    await appendEvent(tx, {
      kind: 'director.enrolled', siteId: site.id, clusterId: cluster.id, directorId: row!.id,
      details: { name: row!.name, enrollmentTokenId: actor.tokenId, reenrolled: existing !== undefined, replacedCredential: Boolean(existing?.credentialHash) },
    });
    return {
      credential,
      site: { id: site.id, name: site.name },
      cluster: { id: cluster.id, name: cluster.name },
      director: { id: row!.id, name: row!.name },
    };
  });
}
