/**
 * Test databases on both drivers. `eachDriver` runs a suite once against a fresh database on
 * the real PostgreSQL server of this run and once against an in-memory PGlite, both migrated
 * with the committed migrations.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDb, type DbHandle } from '../../control-plane/src/db.ts';

export type Driver = 'postgres' | 'pglite';
export const drivers: Driver[] = ['postgres', 'pglite'];

/** A fresh, migrated database. `close()` drops it (Postgres) or discards it (PGlite). */
export async function freshDb(driver: Driver): Promise<DbHandle & { url?: string }> {
  if (driver === 'pglite') {
    const h = await openDb({ driver: 'pglite' });
    await h.migrate();
    return h;
  }
  const adminUrl = inject('postgresUrl');
  const name = `vigil_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const h = await openDb({ driver: 'postgres', url, maxConnections: 5 });
  await h.migrate();
  return {
    ...h,
    url,
    async close() {
      await h.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
