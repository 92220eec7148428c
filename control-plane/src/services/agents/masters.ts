/**
 * Which MASTER claims still count. A director's report says MASTER until it reports again; if
 * it crashed, its last report keeps saying so for the whole freshness window, while its peer
 * has already taken over. Counting both would call every crash failover a split brain.
 *
 * So a claim is superseded when another claimant took over the instance after the report
 * that made it: a director that is still master reports again within seconds (agents report
 * their state every 5 s) and then counts again, which is when a real split brain shows. The
 * takeover time is when the control plane received the claimant's latest transition to MASTER:
 * the control plane's own clock, like a report's receipt it is compared with (an agent's clock
 * may be off, or lie).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { events } from '../../../../schema/src/tables/index.ts';
import type { ServiceContext } from '../context.ts';

export interface MasterClaim {
  director: string;
  /** When the report that says MASTER was received (ms). */
  seenAt: number;
  /** When this director last took over the instance (ms), if the audit log says. */
  takeoverAt: number | null;
}

/** The claims that still count (see the module comment). Pure. */
export function currentClaims<T extends MasterClaim>(claims: T[]): T[] {
  return claims.filter((c) => !claims.some((o) => o !== c && o.takeoverAt !== null && c.seenAt < o.takeoverAt));
}

/**
 * The latest takeover (transition to MASTER) per (director id, instance) of one cluster, for
 * the given directors: `${directorId}/${instance}` → ms.
 */
export async function takeoverTimes(ctx: ServiceContext, clusterId: string, directorIds: string[], instances: string[]): Promise<Map<string, number>> {
  if (directorIds.length === 0 || instances.length === 0) return new Map();
  const rows = await ctx.db
    .selectDistinctOn([events.directorId, events.instance], { directorId: events.directorId, instance: events.instance, receivedAt: events.receivedAt })
    .from(events)
    .where(and(eq(events.clusterId, clusterId), eq(events.kind, 'vrrp.transition'), inArray(events.directorId, directorIds), inArray(events.instance, instances), sql`${events.details}->>'to' = 'master'`))
    .orderBy(events.directorId, events.instance, desc(events.id));
  return new Map(rows.map((r) => [`${r.directorId}/${r.instance}`, r.receivedAt.getTime()]));
}
