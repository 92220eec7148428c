/**
 * The first start's admin token when several replicas start at once on an empty database, and
 * a control plane whose start fails: it says why and exits, rather than running on serving
 * nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBootstrapToken } from '../../control-plane/src/services/tokens/bootstrap.ts';
import { apiTokens, events } from '../../schema/src/tables/index.ts';
import { drivers, freshDb } from '../support/db.ts';

const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');

describe.each(drivers)('bootstrap token on %s', (driver) => {
  it('replicas starting together create one admin token: the others find it', async () => {
    const db = await freshDb(driver);
    try {
      const given = 'vgl_bootstrap-race-0123456789abcdef0123456789';
      const results = await Promise.all(Array.from({ length: 4 }, () => ensureBootstrapToken(db.db, given)));
      expect(results.filter((r) => r !== null)).toEqual([{ secret: given, generated: false }]);
      expect(await db.db.select().from(apiTokens)).toHaveLength(1);
      expect((await db.db.select().from(events)).filter((e) => e.kind === 'token.created')).toHaveLength(1);
      // Generated secrets (no token given) must not make two admins either.
      const other = await freshDb(driver);
      try {
        const generated = await Promise.all(Array.from({ length: 4 }, () => ensureBootstrapToken(other.db, undefined)));
        expect(generated.filter((r) => r !== null)).toHaveLength(1);
        expect(await other.db.select().from(apiTokens)).toHaveLength(1);
      } finally {
        await other.close();
      }
    } finally {
      await db.close();
    }
  });
});

describe('a control plane whose start fails', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('on a port already taken: says so on stderr and exits 1, not running on with nothing served', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-fail-'));
    dirs.push(dataDir);
    try {
      const p = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => { err += String(d); });
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => { p.kill('SIGKILL'); resolve(null); }, 60_000);
        p.once('exit', (c) => { clearTimeout(t); resolve(c); });
      });
      expect(code, err).toBe(1);
      expect(err).toMatch(/could not start: .*EADDRINUSE/);
    } finally {
      holder.close();
    }
  }, 90_000);
});
