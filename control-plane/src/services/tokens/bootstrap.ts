import { count, sql } from 'drizzle-orm';
import { apiTokens } from '../../../../schema/src/tables/index.ts';
import type { Db } from '../../db.ts';
import { appendEvent } from '../events/append.ts';
import { hashSecret, newSecret } from './secrets.ts';

/** Arbitrary but fixed advisory lock key of the bootstrap ("vbt"). */
const BOOTSTRAP_LOCK_KEY = 0x76_62_74;

/**
 * On first start (no API tokens at all) creates the admin token: the one given in
 * VIGIL_BOOTSTRAP_TOKEN, or a generated one that is returned so the caller prints it once.
 * Returns null when tokens already exist.
 */
export async function ensureBootstrapToken(db: Db, given: string | undefined): Promise<{ secret: string; generated: boolean } | null> {
  return db.transaction(async (tx) => {
    // Replicas starting together on an empty database: one creates the token, the others wait
    // here and then find it (both inserting failed the second one's start on the unique hash,
    // or with generated secrets would have made two admin tokens).
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`);
    const [row] = await tx.select({ n: count() }).from(apiTokens);
    if ((row?.n ?? 0) > 0) return null;
    const secret = given ?? newSecret('vgl');
    const [t] = await tx
      .insert(apiTokens)
      .values({ name: 'bootstrap-admin', role: 'admin', siteId: null, secretHash: hashSecret(secret), createdBy: 'system:bootstrap' })
      .returning();
    await appendEvent({ db: tx as unknown as Db, actor: { type: 'system', name: 'bootstrap' } }, {
      kind: 'token.created',
      details: { tokenId: t!.id, name: t!.name, role: 'admin', bootstrap: true },
    });
    return { secret, generated: given === undefined };
  });
}
