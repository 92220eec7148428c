/**
 * The README's quick start and walkthrough, run command by command as a reader would, from the
 * README itself (the ```sh blocks marked `<!-- readme-test: NAME … -->`): every non-comment line
 * is executed, in order, and must succeed with what the README says it does.
 *
 * What the test changes, and why: `sudo ` is dropped (the suite runs as root); `vigil lab` gets
 * `--name`/`--port` so it can run beside other labs; the walkthrough's `npm start` gets PORT,
 * VIGIL_DATA_DIR and VIGIL_BOOTSTRAP_TOKEN from the environment (the README's port and token are
 * substituted in the lines after it); `npm link` links into a private prefix with scripts off
 * (the suite's own `npm ci` already built what they build). The reader's `lb1.conf`/`lb2.conf` are
 * test/fixtures/import/pair-ok.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { createLab } from '../support/netns.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const ok = requireCapabilities('the README, run command by command', ['root', 'netns', 'keepalived']);

/** The command lines of the README block marked `readme-test: name`. */
export function readmeBlock(name: string): string[] {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- readme-test: ${name}\\b[^>]*-->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!m) throw new Error(`README.md has no block marked readme-test: ${name}`);
  return m[1]!.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

interface Ran { line: string; code: number | null; stdout: string; stderr: string }

function sh(line: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 600_000): Ran {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { line, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const background: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of background) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    try { process.kill(-c.pid!, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => c.once('exit', r));
  }
  // The group's leader (the shell) exits first; wait for the rest of it (npm, the control plane
  // closing its embedded database) before removing their directories.
  for (const c of background) {
    for (let i = 0; i < 200; i++) {
      try { process.kill(-c.pid!, 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // A stopped control plane's embedded database may still be flushing files as we remove them.
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}, 60_000);

function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

describe.skipIf(!ok)('README, command by command', () => {
  it('quick start: npm link, vigil lab up / status / failover / chaos / down', () => {
    const lines = readmeBlock('quickstart');
    expect(lines.map((l) => l.split(/\s+#/)[0]!.trim())).toEqual(['npm link', 'sudo vigil lab up', 'sudo vigil lab status', 'sudo vigil lab failover', 'sudo vigil lab chaos --minutes 1', 'sudo vigil lab down']);
    const prefix = temp('vigil-readme-prefix-');
    const name = `rd${process.pid % 100000}`;
    const port = 17000 + (process.pid % 1000);
    const env = { ...process.env, npm_config_prefix: prefix, npm_config_ignore_scripts: 'true', npm_config_audit: 'false', npm_config_fund: 'false', PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const ran: Ran[] = [];
    try {
      for (const raw of lines) {
        let line = raw.replace(/^sudo /, '');
        if (/^vigil lab \w+/.test(line)) line = line.replace(/^(vigil lab \w+)/, `$1 --name ${name}${line.startsWith('vigil lab up') ? ` --port ${port}` : ''}`);
        const r = sh(line, repo, env);
        ran.push(r);
        expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
        if (line === 'npm link') expect(readFileSync(join(prefix, 'bin', 'vigil'), 'utf8')).toBe(readFileSync(join(repo, 'agent/bin/vigil.mjs'), 'utf8'));
      }
    } finally {
      // Whatever happened, the lab goes.
      if (!ran.some((r) => r.line.startsWith('vigil lab down') && r.code === 0)) sh(`vigil lab down --name ${name}`, repo, env);
    }
    const [, up, status, failover, chaos, down] = ran;
    expect(up!.stdout).toMatch(/lab \w+ is up: lb[12] is master of 192\.0\.2\.10/);
    expect(up!.stdout).toMatch(/a request from the client through 192\.0\.2\.10:80 reached rs[12]/);
    expect(status!.stdout).toMatch(/client -> http:\/\/192\.0\.2\.10\/ : rs[12]/);
    expect(failover!.stdout).toMatch(/killed the agent of lb[12]/);
    expect(failover!.stdout).toMatch(/the control plane recorded it: VI_\w+ lb[12] -> lb[12]/);
    // A minute of seeded faults: at least four made, judged, every check held (exit 0 above).
    process.stdout.write(`${chaos!.stdout}\n`);
    expect(chaos!.stdout).toMatch(/lab chaos: seed 1, 1\.\d min, ([4-9]|\d\d) faults, \d+ client requests through 192\.0\.2\.10/);
    expect(chaos!.stdout).toMatch(/^ok {3}false failovers .*: 0$/m);
    expect(chaos!.stdout).toMatch(/^ok {3}the audit chain verifies \([1-9]\d* rows from the first\)/m);
    expect(chaos!.stdout).toContain('lab chaos: every check held');
    expect(down!.stdout).toMatch(/lab \w+ removed/);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`${name}-`);
  }, 900_000);

  it('walkthrough: npm start, import, plan, apply, export, enroll-token, fleet', async () => {
    const lines = readmeBlock('walkthrough');
    const work = temp('vigil-readme-walk-');
    for (const d of ['lb1', 'lb2']) copyFileSync(join(repo, 'test/fixtures/import/pair-ok', `${d}.conf`), join(work, `${d}.conf`));
    const bin = join(work, 'bin');
    mkdirSync(bin);
    // What `npm link` puts on PATH (the quick start runs npm link itself).
    symlinkSync(join(repo, 'agent/bin/vigil.mjs'), join(bin, 'vigil'));
    const port = 16000 + (process.pid % 1000);
    const token = `vgl_readme_${process.pid}_walkthrough`;
    let env: NodeJS.ProcessEnv = { ...process.env, HOME: work, PATH: `${bin}:${process.env.PATH}` };
    delete env.VIGIL_API;
    delete env.VIGIL_TOKEN;
    const ran: Ran[] = [];
    for (const raw of lines) {
      const line = raw.replace(/\s+#.*$/, '');
      if (line === 'npm start &') {
        const cp = spawn('bash', ['-c', 'npm start'], { cwd: repo, detached: true, stdio: 'ignore', env: { ...env, PORT: String(port), VIGIL_DATA_DIR: join(work, 'data'), VIGIL_BOOTSTRAP_TOKEN: token } });
        background.push(cp);
        for (let i = 0; ; i++) {
          if (spawnSync('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${port}/healthz`]).status === 0) break;
          if (i > 600 || cp.exitCode !== null) throw new Error('npm start: the control plane did not answer');
          await new Promise((r) => setTimeout(r, 200));
        }
        ran.push({ line, code: 0, stdout: '', stderr: '' });
        continue;
      }
      const exp = /^export (.*)$/.exec(line);
      if (exp) {
        const assignments = exp[1]!.replace('localhost:8080', `localhost:${port}`).replace('vgl_…', token);
        for (const m of assignments.matchAll(/(\w+)=(\S+)/g)) env = { ...env, [m[1]!]: m[2]! };
        ran.push({ line, code: 0, stdout: '', stderr: '' });
        continue;
      }
      const r = sh(line, work, env, 120_000);
      ran.push(r);
      expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    expect(ran.length).toBe(lines.length);
    const out = (prefix: string) => ran.find((r) => r.line.startsWith(prefix))!.stdout;
    expect(out('vigil check lb1.conf')).toMatch(/valid/);
    expect(out('vigil import lb1.conf lb2.conf --dry-run')).toMatch(/vrrpInstances:\n\s+VI_WEB:/);
    expect(out('vigil clusters --site dc1')).toMatch(/\bweb\b/);
    expect(readFileSync(join(work, 'web.yaml'), 'utf8')).toMatch(/priority: 160/);
    expect(out('vigil plan')).toMatch(/VI_WEB/);
    expect(out('vigil plan')).toMatch(/--if-revision 1/);
    expect(out('vigil revisions')).toMatch(/\b2\b/);
    expect(out('vigil enroll-token')).toMatch(/sha256sum -c/);
    expect(out('vigil fleet')).toMatch(/lb1[\s\S]*lb2/);
    // The exported file is keepalived's: keepalived 2.2.7 accepts it.
    const exported = join(work, 'lb2.exported.conf');
    expect(existsSync(exported)).toBe(true);
    // keepalived -t wants the interfaces it names to exist: a namespace that has them (bridges:
    // this kernel has no dummy links).
    const lab = await createLab({ hosts: 1 });
    try {
      const ns = lab.hosts[0]!.ns;
      const have = await lab.ip(ns, '-o', 'link', 'show');
      for (const ifname of ['eth0', 'eth1']) {
        if (have.includes(` ${ifname}:`) || have.includes(` ${ifname}@`)) continue;
        await lab.ip(ns, 'link', 'add', ifname, 'type', 'bridge');
        await lab.ip(ns, 'link', 'set', ifname, 'up');
      }
      const t = await lab.exec(ns, 'keepalived', ['-t', '-f', exported, '-n', '-l', '-D'], { timeoutMs: 20_000 });
      expect(t.code, `${t.stdout}${t.stderr}`).toBe(0);
    } finally {
      await lab.destroy();
    }
    // The applied change is the current revision: lb1's priority 160 in what it would run.
    const lb1 = sh('vigil export --cluster dc1/web --director lb1', work, env);
    expect(lb1.stdout).toMatch(/priority 160/);
  }, 600_000);
});
