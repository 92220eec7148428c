/**
 * The real `vigil control-plane` process, as `npm start` runs it: on its embedded database
 * (PGlite under --data-dir) and on a real Postgres (--database-url). The generated admin token
 * is printed once, on the first start only; SIGTERM shuts down cleanly with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';

const VIGIL = fileURLToPath(new URL('../../agent/bin/vigil.mjs', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
}

const children = new Set<ChildProcess>();

async function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const { VIGIL_BOOTSTRAP_TOKEN: _drop, DATABASE_URL: _drop2, ...base } = process.env;
  const child = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`control plane exited ${child.exitCode}: ${out}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`control plane not ready in 30 s: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, output: () => out };
}

async function stop(r: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => r.child.once('exit', (code) => resolve(code)));
  r.child.kill('SIGTERM');
  return exited;
}

const tokenIn = (out: string) => /admin API token[^\n]*\n\s*\n\s*(vgl_\S+)/.exec(out)?.[1];

describe('vigil control-plane process', () => {
  const dirs: string[] = [];
  afterAll(() => {
    // A failed assertion must not leave a control plane running.
    for (const c of children) c.kill('SIGKILL');
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('on PGlite: prints a generated admin token once, keeps it across restarts, exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    dirs.push(dataDir);
    const first = await start(['--data-dir', dataDir]);
    const token = tokenIn(first.output());
    expect(token, first.output()).toMatch(/^vgl_/);
    const sites = await fetch(`http://127.0.0.1:${first.port}/v1/sites`, { headers: { authorization: `Bearer ${token}` } });
    expect(sites.status).toBe(200);
    const created = await fetch(`http://127.0.0.1:${first.port}/v1/sites`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":"par1"}' });
    expect(created.status).toBe(201);
    expect(await stop(first)).toBe(0);
    expect(first.output()).toMatch(/"method":"POST","path":"\/v1\/sites".*"status":201/); // one log line per request
    expect(first.output()).toContain('control plane stopped');

    const second = await start(['--data-dir', dataDir]);
    expect(tokenIn(second.output())).toBeUndefined();
    const again = await fetch(`http://127.0.0.1:${second.port}/v1/sites`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await again.json()) as { items: { name: string }[] }).items.map((s) => s.name)).toEqual(['par1']);
    expect(await stop(second)).toBe(0);
  });

  it('VIGIL_BOOTSTRAP_TOKEN sets the first admin token and nothing is printed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    dirs.push(dataDir);
    const secret = `vgl_${randomBytes(24).toString('base64url')}`;
    const cp = await start(['--data-dir', dataDir], { VIGIL_BOOTSTRAP_TOKEN: secret });
    expect(tokenIn(cp.output())).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${cp.port}/v1/sites`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${cp.port}/v1/sites`, { headers: { authorization: 'Bearer vgl_wrong' } })).status).toBe(401);
    expect(await stop(cp)).toBe(0);
  });

  it('on a real Postgres through --database-url: migrates, serves, exits 0', async () => {
    const adminUrl = inject('postgresUrl');
    const name = `vigil_p_${randomBytes(5).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    try {
      const url = adminUrl.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
      const cp = await start(['--database-url', url]);
      const token = tokenIn(cp.output());
      expect(token).toMatch(/^vgl_/);
      const ready = (await (await fetch(`http://127.0.0.1:${cp.port}/readyz`)).json()) as { database: { migrated: boolean } };
      expect(ready.database.migrated).toBe(true);
      expect(cp.output()).toContain('"driver":"postgres"');
      expect(await stop(cp)).toBe(0);
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('a bad flag is a usage error (exit 2) naming the flag', async () => {
    const child = spawn(process.execPath, [VIGIL, 'control-plane', '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(out).toMatch(/port/);
  });
});
