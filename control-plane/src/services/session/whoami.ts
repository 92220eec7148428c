/**
 * Who the caller is, for the dashboard (and `curl` users wondering which token they hold): the
 * token's name, role and site scope. Signing in and out of the dashboard are audited, so the
 * log shows who looked at the fleet through which token, and when.
 */
import { eq } from 'drizzle-orm';
import { apiTokens, sites } from '../../../../schema/src/tables/index.ts';
import { forbidden } from '../../errors.ts';
import { requireRole, type ServiceContext } from '../context.ts';
import { appendEvent } from '../events/append.ts';

export interface WhoAmI {
  tokenId: string;
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  /** The one site a scoped token may see and change; null = the whole fleet. */
  site: { id: string; name: string } | null;
  tokenExpiresAt: string | null;
}

export async function whoAmI(ctx: ServiceContext): Promise<WhoAmI> {
  requireRole(ctx, 'viewer');
  const a = ctx.actor;
  if (a.type !== 'token') throw forbidden('only an API token has a session');
  const [row] = await ctx.db
    .select({ expiresAt: apiTokens.expiresAt, siteName: sites.name })
    .from(apiTokens)
    .leftJoin(sites, eq(sites.id, apiTokens.siteId))
    .where(eq(apiTokens.id, a.tokenId))
    .limit(1);
  return {
    tokenId: a.tokenId,
    name: a.name,
    role: a.role,
    site: a.siteId && row?.siteName ? { id: a.siteId, name: row.siteName } : null,
    tokenExpiresAt: row?.expiresAt ? row.expiresAt.toISOString() : null,
  };
}

export async function recordSession(ctx: ServiceContext, kind: 'session.signed_in' | 'session.signed_out', who: WhoAmI): Promise<void> {
  await appendEvent(ctx, { kind, siteId: who.site?.id ?? null, details: { tokenId: who.tokenId, via: 'dashboard' } });
}
