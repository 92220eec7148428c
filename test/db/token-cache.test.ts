/**
 * authenticateToken with the one-second token cache (token-cache.ts), on the real databases:
 * a cached token costs no query; expiry is still exact; only valid API tokens are kept; the
 * advisory last_used_at is still written at most once a minute.
 */
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../control-plane/src/errors.ts';
import { bearerSecret } from '../../control-plane/src/http/middleware/auth.ts';
import { authenticateToken, type ApiTokenRow } from '../../control-plane/src/services/tokens/authenticate.ts';
import { hashSecret } from '../../control-plane/src/services/tokens/secrets.ts';
import { TokenCache } from '../../control-plane/src/services/tokens/token-cache.ts';
import { apiTokens } from '../../schema/src/tables/index.ts';
import { drivers, freshDb } from '../support/db.ts';

describe.each(drivers)('API token cache on %s', (driver) => {
  let db: Awaited<ReturnType<typeof freshDb>>;
  const mint = async (name: string, extra: Partial<typeof apiTokens.$inferInsert> = {}) => {
    const secret = `vgl_${name}-0123456789abcdef0123456789abcdef`;
    const [row] = await db.db.insert(apiTokens).values({ name, role: 'viewer', siteId: null, secretHash: hashSecret(secret), createdBy: 'test', ...extra }).returning();
    return { secret, id: row!.id };
  };
  beforeAll(async () => { db = await freshDb(driver); });
  afterAll(async () => db?.close());

  it('a token read in the last second is not read again: revoking it in the database alone leaves it valid until forgotten', async () => {
    const cache = new TokenCache<ApiTokenRow>();
    const t = await mint('cached');
    expect(await authenticateToken(db.db, t.secret, cache)).toMatchObject({ type: 'token', tokenId: t.id });
    expect(cache.size).toBe(1);
    await db.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, t.id));
    // No query: the revoke has not been announced to this cache (the route or the NOTIFY does).
    expect(await authenticateToken(db.db, t.secret, cache)).toMatchObject({ tokenId: t.id });
    cache.changed(`token:${t.id}`);
    await expect(authenticateToken(db.db, t.secret, cache)).rejects.toThrow('token has been revoked');
    expect(cache.size).toBe(0);
  });

  it('expiry is exact while cached: the cached row\'s expiry is checked on every use', async () => {
    const cache = new TokenCache<ApiTokenRow>();
    const t = await mint('expiring', { expiresAt: new Date(Date.now() + 60_000) });
    await authenticateToken(db.db, t.secret, cache);
    const cached = cache.get(hashSecret(t.secret), Date.now())!;
    cached.expiresAt = new Date(Date.now() - 1);
    await expect(authenticateToken(db.db, t.secret, cache)).rejects.toThrow('token has expired');
  });

  it('keeps only valid API tokens: unknown, revoked, agent and enrollment secrets are read every time', async () => {
    const cache = new TokenCache<ApiTokenRow>();
    await expect(authenticateToken(db.db, 'vgl_never-minted-0123456789abcdef0123456789', cache)).rejects.toThrow('unknown token');
    const r = await mint('revoked', { revokedAt: new Date() });
    await expect(authenticateToken(db.db, r.secret, cache)).rejects.toThrow('token has been revoked');
    await expect(authenticateToken(db.db, 'vga_no-such-agent-0123456789abcdef0123456789', cache)).rejects.toThrow('unknown agent credential');
    await expect(authenticateToken(db.db, 'vge_no-such-enrollment-0123456789abcdef01234', cache)).rejects.toThrow('unknown enrollment token');
    expect(cache.size).toBe(0);
  });

  it('any Authorization header that is not a minted token is a 401 and leaves the cache empty (seeded)', async () => {
    const cache = new TokenCache<ApiTokenRow>();
    const valid = await mint('fuzz-valid');
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 120 }).map((x) => `Bearer ${x}`),
      fc.constantFrom('vgl_', 'vga_', 'vge_', '').chain((p) => fc.string({ maxLength: 100 }).map((x) => `bearer   ${p}${x}  `)),
      fc.string({ maxLength: 40 }).map((x) => `Bearer ${valid.secret}${x}`),
    );
    await fc.assert(fc.asyncProperty(header, async (h) => {
      const secret = bearerSecret(h);
      if (secret === valid.secret) return; // the one real token (the generator can land on it)
      const err = await authenticateToken(db.db, secret, cache).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('UNAUTHORIZED');
      expect(cache.size).toBe(0);
    }), { seed: 1305, numRuns: 300 });
    expect(await authenticateToken(db.db, bearerSecret(`Bearer ${valid.secret}`), cache)).toMatchObject({ tokenId: valid.id });
    expect(cache.size).toBe(1);
  });

  it('writes last_used_at once a minute, also through the cache', async () => {
    const cache = new TokenCache<ApiTokenRow>();
    const t = await mint('used');
    const lastUsed = async () => (await db.db.select({ at: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, t.id)))[0]!.at;
    await authenticateToken(db.db, t.secret, cache);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    // Pretend the write was two minutes ago in the database only: the cached row knows better.
    await db.db.execute(sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${t.id}`);
    for (let k = 0; k < 5; k++) await authenticateToken(db.db, t.secret, cache);
    expect((await lastUsed())!.getTime()).toBeLessThan(first!.getTime());
  });
});
