/**
 * The real `vigil control-plane` process, as `npm start` runs it: on its embedded database
 * (PGlite under --data-dir) and on a real Postgres (--database-url). The generated admin token
 * is printed once, on the first start only; SIGTERM shuts down cleanly with exit code 0.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';

const VIGIL = fileURLToPath(new URL('../../agent/bin/vigil.mjs', import.meta.url));
const TOKEN = 'vgl_process-test-bootstrap-token-0123456789';

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

async function start(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<Running> {
  const port = await freePort();
  const { VIGIL_BOOTSTRAP_TOKEN: _drop, DATABASE_URL: _drop2, VIGIL_CP_NODE_FLAGS: _drop3, ...base } = process.env;
  const child = spawn(process.execPath, [...nodeFlags, VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`control plane exited ${child.exitCode}: ${out}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`control plane not ready in 90 s: ${out}`);
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

describe('vigil control-plane process', { timeout: 180_000 }, () => {
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
    // It restarted itself under its heap flags (agent/bin/vigil.cjs), as the same process: the
    // pid spawned now runs node with them.
    expect(readFileSync(`/proc/${first.child.pid}/cmdline`, 'utf8').split('\0')).toContain('--min-semi-space-size=16');
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

  it('VIGIL_CP_NODE_FLAGS=off runs node as started (no restart), and an operator\'s own size wins', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    dirs.push(dataDir);
    const off = await start(['--data-dir', dataDir], { VIGIL_CP_NODE_FLAGS: 'off' });
    expect(readFileSync(`/proc/${off.child.pid}/cmdline`, 'utf8')).not.toContain('--min-semi-space-size');
    expect(await stop(off)).toBe(0);
    const own = await start(['--data-dir', dataDir], {}, ['--min-semi-space-size=8']);
    const args = readFileSync(`/proc/${own.child.pid}/cmdline`, 'utf8').split('\0');
    expect(args.filter((a) => a.startsWith('--min-semi-space-size'))).toEqual(['--min-semi-space-size=8']);
    expect(await stop(own)).toBe(0);
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
      const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
      dirs.push(dataDir);
      const cp = await start(['--database-url', url, '--data-dir', dataDir]);
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

  it('keeps its files private (data dir 0700, files 0600) and refuses a readable audit key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    dirs.push(dataDir);
    const cp = await start(['--data-dir', join(dataDir, 'd')], { VIGIL_BOOTSTRAP_TOKEN: TOKEN });
    expect(await stop(cp)).toBe(0);
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => { const p = join(d, n); return statSync(p).isDirectory() ? [p, ...walk(p)] : [p]; });
    const files = [join(dataDir, 'd'), ...walk(join(dataDir, 'd'))];
    expect(files.length).toBeGreaterThan(20);
    const open = files.filter((f) => (statSync(f).mode & 0o077) !== 0);
    expect(open, open.join('\n')).toEqual([]);
    expect(statSync(join(dataDir, 'd')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'd', 'audit-signing-key.pem')).mode & 0o777).toBe(0o600);
    chmodSync(join(dataDir, 'd', 'audit-signing-key.pem'), 0o644);
    const child = spawn(process.execPath, [VIGIL, 'control-plane', '--port', '0', '--data-dir', join(dataDir, 'd')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(2);
    expect(out).toMatch(/must not be readable by group or others \(chmod 600/);
  });

  it('logs signed audit checkpoints and never logs a secret or its hash', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
    dirs.push(dataDir);
    const cp = await start(['--data-dir', dataDir, '--checkpoint-interval', '1'], { VIGIL_BOOTSTRAP_TOKEN: TOKEN });
    const post = (path: string, body: unknown) => fetch(`http://127.0.0.1:${cp.port}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const made = (await (await post('/v1/tokens', { name: 'logged', role: 'viewer' })).json()) as { secret: string };
    // The same token name twice is fine; a duplicate site is a 409 from a failed query.
    await post('/v1/sites', { name: 'dup' });
    expect((await post('/v1/sites', { name: 'dup' })).status).toBe(409);
    for (let i = 0; i < 50 && !cp.output().includes('audit checkpoint'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stop(cp)).toBe(0);
    const out = cp.output();
    expect(out).toMatch(/"checkpoint":\{"eventId":\d+,"hash":"[0-9a-f]{64}","createdAt":"[^"]+","keyId":"[0-9a-f]{16}","signature":"[A-Za-z0-9+/=]+"\}.*"msg":"audit checkpoint"/);
    for (const secret of [made.secret, TOKEN]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(createHash('sha256').update(secret).digest('hex'));
    }
  });

  it('serves HTTPS with its certificate; the install command pins a self-signed certificate\'s key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    dirs.push(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const port = await freePort();
    const child = spawn(process.execPath, [VIGIL, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'data'), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN } });
    children.add(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const curl = (args: string[]) => spawnSync('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'utf8' });
    for (let i = 0; i < 300 && !/control plane listening/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const pin = /"pin":"(sha256\/\/[^"]+)"/.exec(out)?.[1];
    expect(pin, out).toBeDefined();
    const base = `https://127.0.0.1:${port}`;
    expect(curl([`${base}/healthz`]).status).not.toBe(0); // not a CA-signed certificate
    expect(curl(['-k', '--pinnedpubkey', pin!, `${base}/healthz`]).stdout).toBe('{"status":"ok"}');
    expect(curl(['-k', '--pinnedpubkey', `sha256//${'A'.repeat(43)}=`, `${base}/healthz`]).status).not.toBe(0);
    const auth = ['-k', '--pinnedpubkey', pin!, '-H', `authorization: Bearer ${TOKEN}`, '-H', 'content-type: application/json'];
    curl([...auth, '-X', 'POST', '--data', '{"name":"dc1"}', `${base}/v1/sites`]);
    const minted = JSON.parse(curl([...auth, '-X', 'POST', '--data', '{}', `${base}/v1/sites/dc1/enrollment-tokens`]).stdout) as { install: { command: string; scriptSha256: string; tlsPin: string } };
    expect(minted.install.tlsPin).toBe(pin);
    expect(minted.install.command.startsWith(`curl -fsSL -k --pinnedpubkey '${pin}' '${base}/install.sh' -o vigil-install.sh && echo '${minted.install.scriptSha256}  vigil-install.sh' | sha256sum -c -`)).toBe(true);
    const script = curl(['-k', '--pinnedpubkey', pin!, `${base}/install.sh`]).stdout;
    expect(createHash('sha256').update(script).digest('hex')).toBe(minted.install.scriptSha256);
    expect(script).toContain(`CURL_PIN='${pin}'`);
    expect(script).toContain('-----BEGIN CERTIFICATE-----');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const r = spawnSync(process.execPath, [VIGIL, 'control-plane', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--public-url/);
    // The agent's too, with the managed mode and the metrics switches.
    const agent = spawnSync(process.execPath, [VIGIL, 'agent', '--help'], { encoding: 'utf8' });
    expect(agent.status).toBe(0);
    expect(agent.stdout).toMatch(/vigil agent --config FILE/);
    expect(agent.stdout).toMatch(/--metrics-listen ADDR:PORT/);
    expect(agent.stdout).toMatch(/--keepalived-metrics on\|off/);
  });
});
