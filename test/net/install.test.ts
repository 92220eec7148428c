/**
 * install.sh for real: a fresh Debian root filesystem (debootstrap, cached under
 * /var/cache/vigil), mounted as an overlay in a namespace with its own mount tree and network
 * (a lab host), with only the host's node binary added (what the README says a director needs).
 * A running control plane serves the script; it downloads and verifies the agent, enrolls,
 * writes /etc/vigil/agent.json and, there being no systemd, starts the agent directly. The agent
 * fetches its config and takes the VIP. Re-running is harmless; --uninstall removes everything.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { DirectorRoot, ensureRootfs } from '../support/director-root.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('install.sh in a fresh Debian root', ['root', 'netns', 'debootstrap']);
const VIGIL = join(import.meta.dirname, '../../agent/bin/vigil.mjs');
const TOKEN = 'vgl_install-e2e-bootstrap-token-0123456789abcdef';
// Served over HTTPS with a self-signed certificate: the install command pins its key, the
// script carries it, and the agent trusts exactly it.
const CP = 'https://192.0.2.2:8443';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!run)('install.sh in a fresh Debian root filesystem', () => {
  let lab: NetnsLab;
  let work: string;
  let cp: ChildProcess | undefined;
  let upper: string;
  let enrollToken = '';
  let installCommand = '';
  let clusterId = '';

  async function api(method: string, path: string, body?: unknown) {
    const args = ['-sS', '-k', '-X', method, '-H', `authorization: Bearer ${TOKEN}`, '-w', '\n%{http_code}', `${CP}${path}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', JSON.stringify(body));
    const r = await lab.exec(lab.hosts[1]!.ns, 'curl', args, { timeoutMs: 60_000 });
    const nl = r.stdout.lastIndexOf('\n');
    const status = Number(r.stdout.slice(nl + 1));
    if (status >= 300 || !status) throw new Error(`${method} ${path}: ${r.stdout} ${r.stderr}`);
    const text = r.stdout.slice(0, nl);
    return text ? JSON.parse(text) : null;
  }
  let root: DirectorRoot;
  const agentPid = () => root.agentPid();
  const inRoot = (cmd: string) => root.run(cmd);
  const holdsVip = async () => (await lab.exec(lab.hosts[0]!.ns, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(' 192.0.2.100/');

  beforeAll(async () => {
    ensureRootfs();
    lab = await createLab({ hosts: 2 });
    work = mkdtempSync(join(tmpdir(), 'vigil-install-'));
    root = new DirectorRoot(lab.hosts[0]!, join(work, 'root'));
    upper = root.upper;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=192.0.2.2', '-addext', 'subjectAltName=IP:192.0.2.2', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
    cp = spawn('ip', ['netns', 'exec', lab.hosts[1]!.ns, process.execPath, VIGIL, 'control-plane', '--port', '8443', '--data-dir', join(work, 'cp'), '--public-url', CP, '--tls-cert', join(work, 'cert.pem'), '--tls-key', join(work, 'key.pem')], { stdio: 'ignore', env: { ...process.env, VIGIL_BOOTSTRAP_TOKEN: TOKEN } });
    for (let i = 0; ; i++) {
      try { await api('GET', '/v1/sites'); break; } catch (e) { if (i > 300) throw e; await sleep(300); }
    }
    await api('POST', '/v1/sites', { name: 'dc1' });
    clusterId = (await api('POST', '/v1/sites/dc1/clusters', { name: 'web' })).id;
    await api('POST', `/v1/clusters/${clusterId}/directors`, { name: 'lb1' });
    await api('PUT', `/v1/clusters/${clusterId}/spec`, { spec: { version: 1, directors: { lb1: {} }, vrrpInstances: { VI_1: { interface: 'eth0', virtualRouterId: 80, version: 3, advertIntervalMs: 100, virtualIpAddresses: ['192.0.2.100/24'], directors: { lb1: { priority: 150 } } } } } });
    const minted = await api('POST', '/v1/sites/dc1/enrollment-tokens', { maxUses: 1, cluster: 'web', director: 'lb1' });
    enrollToken = minted.secret;
    installCommand = minted.install.command;
  }, 1_200_000);

  afterAll(async () => {
    const pid = agentPid();
    if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    if (cp) await new Promise<void>((r) => { cp!.once('exit', () => r()); cp!.kill('SIGTERM'); });
    await lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('never takes the token on the command line; a token file must be root-only', async () => {
    const r = await inRoot(`curl -fsSLk ${CP}/install.sh -o /tmp/i.sh && sh /tmp/i.sh --token ${enrollToken} --cluster web --director lb1`);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/never goes on the command line.*--token-stdin.*--token-file/);
    const f = await inRoot(`curl -fsSLk ${CP}/install.sh -o /tmp/i.sh && printf '%s\\n' ${enrollToken} > /tmp/tok && chmod 644 /tmp/tok && sh /tmp/i.sh --token-file /tmp/tok --cluster web --director lb1`);
    expect(f.code).not.toBe(0);
    expect(f.out).toMatch(/must be mode 0600/);
    expect(agentPid()).toBeUndefined();
  });

  it('installs with the exact command the enrollment response gave (script checksum, token on stdin): verifies the download, enrolls, starts the agent without systemd; the agent takes its VIP', async () => {
    expect(installCommand).toMatch(/^curl -fsSL -k --pinnedpubkey 'sha256\/\/[A-Za-z0-9+/=]+' 'https:\/\/192.0.2.2:8443\/install.sh'/);
    expect(installCommand).toMatch(/sha256sum -c -/);
    expect(installCommand).toMatch(/--token-stdin --cluster 'web' --director 'lb1'$/);
    const r = await inRoot(`cd /root && ${installCommand} --labels rack=r1,role=edge`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/enrolled as director lb1 of cluster web/);
    expect(r.out).toMatch(/no systemd here: started the agent directly/);
    for (let i = 0; i < 100 && !agentPid(); i++) await sleep(100);
    const log = join(upper, 'var/lib/vigil/agent.log');
    if (!agentPid()) throw new Error(`the agent is not running: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : 'no agent.log'}\n${r.out}`);
    // The wrapper runs the agent for a flat footprint over months (agent-bundle.ts WRAPPER).
    const pid = agentPid()!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['--optimize-for-size', 'agent']));
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    const conf = JSON.parse(readFileSync(join(upper, 'etc/vigil/agent.json'), 'utf8'));
    expect(conf).toMatchObject({ controlPlane: CP, director: 'lb1', cluster: 'web', site: 'dc1' });
    // The agent trusts exactly the control plane's certificate (from the verified script).
    expect(readFileSync(join(upper, 'etc/vigil/control-plane.pem'), 'utf8')).toBe(readFileSync(join(work, 'cert.pem'), 'utf8').replace(/\r\n/g, '\n'));
    expect(conf.credential).toMatch(/^vga_/);
    expect((execFileSync('stat', ['-c', '%a', join(upper, 'etc/vigil/agent.json')]).toString().trim())).toBe('600');
    for (let i = 0; i < 100 && !(await holdsVip()); i++) await sleep(100);
    expect(await holdsVip()).toBe(true);
    let d: { enrolled: boolean; appliedRevision: number | null; labels: Record<string, string> } | undefined;
    for (let i = 0; i < 100; i++) {
      d = await api('GET', `/v1/clusters/${clusterId}/directors/lb1`);
      if (d?.appliedRevision === 1) break;
      await sleep(200);
    }
    expect(d).toMatchObject({ enrolled: true, appliedRevision: 1, labels: { rack: 'r1', role: 'edge' } });
  });

  it('re-running is harmless: the credential is kept (the one-use token is not needed) and the agent runs again', async () => {
    const before = readFileSync(join(upper, 'etc/vigil/agent.json'), 'utf8');
    const r = await inRoot(`cd /root && ${installCommand}`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/already enrolled; keeping the credential/);
    for (let i = 0; i < 100 && !agentPid(); i++) await sleep(100);
    expect(readFileSync(join(upper, 'etc/vigil/agent.json'), 'utf8')).toBe(before);
    for (let i = 0; i < 100 && !(await holdsVip()); i++) await sleep(100);
    expect(await holdsVip()).toBe(true);
  });

  it('the install command refuses a script that is not the one the enrollment response vouched for', async () => {
    // A script altered on the way (here: by rewriting the URL the command fetches from the
    // altered copy) fails the command's checksum before anything runs.
    const tampered = installCommand.replace(/'https:\/\/[^']*\/install.sh'/, "'file:///tmp/evil.sh'");
    expect(tampered).not.toBe(installCommand);
    const r = await inRoot(`curl -fsSLk ${CP}/install.sh | sed 's/^set -eu$/set -eu; echo PWNED/' > /tmp/evil.sh && cd /root && ${tampered}`);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED/);
    expect(r.out).not.toMatch(/PWNED/);
  });

  it('refuses a download whose checksum does not match, installing nothing', async () => {
    const r = await inRoot(`curl -fsSLk ${CP}/install.sh | sed "s/^BUNDLE_SHA256='[0-9a-f]*'/BUNDLE_SHA256='0000'/" > /tmp/t.sh && printf 'vge_xxxxxxxxxxxxxxxxxxxx\\n' | sh /tmp/t.sh --token-stdin --cluster web --director lb1`);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/checksum mismatch: expected 0000/);
    expect(agentPid()).toBeGreaterThan(0); // the running agent was left alone
  });

  it('--uninstall stops the agent (it leaves gracefully) and removes everything it added', async () => {
    const pid = agentPid()!;
    const r = await inRoot(`curl -fsSLk ${CP}/install.sh | sh -s -- --uninstall`);
    expect(r.code, r.out).toBe(0);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) { try { process.kill(pid, 0); await sleep(100); } catch { alive = false; } }
    expect(alive).toBe(false);
    expect(await holdsVip()).toBe(false);
    for (const p of ['opt/vigil', 'etc/vigil', 'var/lib/vigil', 'usr/local/bin/vigil']) expect(existsSync(join(upper, p)), p).toBe(false);
  });
});
