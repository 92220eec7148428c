/**
 * Builds and tears down the soak lab (layout in topology.ts) on this machine (root): the
 * namespaces and bridges, Postgres primary + synchronous streaming replica, the database proxy,
 * the control plane (a `vigil control-plane` process on that database), the sites, clusters,
 * specs and enrollment tokens through the API, six directors installed the real way (each a
 * fresh Debian root with the install command the enrollment response gave, its state dir on a
 * small filesystem of its own so the disk can fill), the keepalived peers, the responders and
 * real servers, and the client. Everything it creates is named with its prefix or lives under
 * its work dir, and `destroy()` removes it (by pid and by name, never by pattern).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectorRoot, ensureRootfs } from '../../test/support/director-root.ts';
import { serveIn, type RpcChild } from '../../test/support/netns.ts';
import { PostgresPair } from './postgres-pair.ts';
import {
  CLOCK_DIRECTOR, CLUSTERS, CP_PORT, CP_URL, DIRECTORS, HOSTS, KEEPALIVED, PG_HOSTS, PG_PORT, PG_PROXY_PORT, clusterSpec, keepalivedConf,
  type SegmentName,
} from './topology.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const VIGIL = join(repoRoot, 'agent/bin/vigil.mjs');
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const NFT_FILES = ['/usr/sbin/nft', ...['libnftables.so.1', 'libedit.so.2', 'libnftnl.so.11', 'libjansson.so.4'].map((l) => `/usr/lib/x86_64-linux-gnu/${l}`)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const BOOTSTRAP_TOKEN = 'vgl_soak-lab-bootstrap-token-0123456789abcdef';
/** Size of each director's state filesystem (tmpfs): room for the outbox and the log, small enough to fill. */
const STATE_FS_MB = 48;

export interface ApiResult { status: number; body: unknown; text?: string }

export interface SoakLabOptions {
  /** Namespace prefix (short: interface names are made from it too). */
  prefix?: string;
  log?: (line: string) => void;
}

let counter = 0;
/** The NFQUEUE queue the delay line binds in a host's namespace (one line per namespace). */
const DELAY_QUEUE = 7;
const DELAY_RULE = ['-p', '112', '-j', 'NFQUEUE', '--queue-num', String(DELAY_QUEUE), '--queue-bypass'];

/** A child starts node with tsx: at a load of 25 on two cores that took over 20 s (netns.ts's default). */
async function serveRetrying(ns: string, module: string): Promise<RpcChild> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serveIn(ns, module, 90_000);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

export class SoakLab {
  readonly prefix: string;
  readonly work: string;
  readonly log: (line: string) => void;
  readonly roots: Record<string, DirectorRoot> = {};
  readonly clusterIds: Record<string, string> = {};
  pg!: PostgresPair;
  cpSide!: RpcChild;
  client!: RpcChild;
  private cp: ChildProcess | undefined;
  private readonly procs = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private readonly mounts: string[] = [];
  readonly keepalived = new Map<string, ChildProcess>();

  constructor(o: SoakLabOptions = {}) {
    this.prefix = o.prefix ?? `sk${process.pid % 10000}${counter++}`;
    this.work = mkdtempSync(join(tmpdir(), `vigil-soak-${this.prefix}-`));
    chmodSync(this.work, 0o755); // Postgres runs as its own user under it
    this.log = o.log ?? ((l) => process.stderr.write(`${l}\n`));
  }

  ns(host: string): string {
    return `${this.prefix}-${host}`;
  }

  get switchNs(): string {
    return this.ns('sw');
  }

  /** The bridge port of a host on a segment (in the switch namespace). */
  port(segment: SegmentName, host: string): string {
    return `${segment}-${host}`.slice(0, 15);
  }

  ip(ns: string, ...args: string[]): string {
    return execFileSync('ip', ['-n', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 }).toString();
  }

  exec(ns: string, cmd: string, args: string[], timeoutMs = 15_000): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs }).toString();
  }

  /** Starts a long-lived process whose output goes to a log file under the work dir. */
  spawnLogged(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const fd = openSync(join(this.work, `${name}.log`), 'a');
    const p = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    closeSync(fd);
    this.procs.add(p);
    p.once('exit', () => this.procs.delete(p));
    return p;
  }

  logTail(name: string, bytes = 3000): string {
    const f = join(this.work, `${name}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8').slice(-bytes) : `(no ${name}.log)`;
  }

  async build(): Promise<void> {
    const t0 = Date.now();
    ensureRootfs();
    // The directors' state filesystems are mounted under a shared mount: every `ip netns exec`
    // (keepalived, Postgres, the children) copies this namespace as a slave of it, so a state
    // filesystem unmounted here for its repair is unmounted there too instead of held (a held
    // one would come back read-only: mount reuses its loop device and superblock).
    const roots = join(this.work, 'roots');
    mkdirSync(roots, { recursive: true });
    execFileSync('mount', ['--bind', roots, roots]);
    execFileSync('mount', ['--make-rshared', roots]);
    this.mounts.push(roots);
    this.buildNetwork();
    this.log(`lab ${this.prefix}: network in ${Date.now() - t0} ms`);
    this.pg = new PostgresPair(join(this.work, 'pg'), (n) => this.ns(n), this.log);
    await this.pg.init();
    this.log(`lab ${this.prefix}: postgres primary + synchronous replica in ${Date.now() - t0} ms`);
    this.cpSide = await serveRetrying(this.ns('cp'), 'infra/soak/children/cp-side.ts');
    await this.cpSide.call('target', PG_HOSTS[this.pg.primary], PG_PORT);
    await this.cpSide.call('listen', PG_PROXY_PORT);
    await this.cpSide.call('configureApi', `http://127.0.0.1:${CP_PORT}`, BOOTSTRAP_TOKEN);
    await this.startControlPlane();
    this.log(`lab ${this.prefix}: control plane up in ${Date.now() - t0} ms`);
    await this.startServers();
    await this.provision();
    this.log(`lab ${this.prefix}: directors installed in ${Date.now() - t0} ms`);
    for (const k of KEEPALIVED) this.startKeepalived(k);
    this.client = await serveRetrying(this.ns('client'), 'infra/soak/children/client.ts');
  }

  private buildNetwork(): void {
    const sw = this.switchNs;
    for (const ns of [sw, ...HOSTS.map((h) => this.ns(h.host))]) {
      execFileSync('ip', ['netns', 'add', ns]);
      this.namespaces.push(ns);
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      this.ip(ns, 'link', 'set', 'lo', 'up');
    }
    const segments = new Set(HOSTS.flatMap((h) => h.links.map((l) => l.segment)));
    for (const s of segments) {
      // Snooping off: the bridge floods multicast like a plain switch (VRRP adverts reach everyone).
      this.ip(sw, 'link', 'add', `br-${s}`, 'type', 'bridge', 'mcast_snooping', '0');
      this.ip(sw, 'link', 'set', `br-${s}`, 'up');
    }
    for (const h of HOSTS) {
      const ns = this.ns(h.host);
      for (const l of h.links) {
        const port = this.port(l.segment, h.host);
        this.ip(sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', l.ifname, 'netns', ns);
        this.ip(sw, 'link', 'set', port, 'master', `br-${l.segment}`, 'up');
        this.ip(ns, 'addr', 'add', l.address, 'dev', l.ifname);
        this.ip(ns, 'link', 'set', l.ifname, 'up');
      }
      if (h.gateway) this.ip(ns, 'route', 'add', 'default', 'via', h.gateway);
      // LVS-NAT directors forward between the outside and the real servers.
      if (h.host === 'lb1' || h.host === 'lb2') this.exec(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    }
  }

  private async startServers(): Promise<void> {
    // Responders on every director and keepalived peer of c2/c3 (who holds the VIP answers with
    // its name) and the real servers behind c1's virtual server.
    const serveFrom = (host: string, port: number) => {
      const dir = join(this.work, 'www', host);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.html'), `${host}\n`);
      this.spawnLogged(`httpd-${host}`, 'ip', ['netns', 'exec', this.ns(host), 'busybox', 'httpd', '-f', '-p', String(port), '-h', dir]);
    };
    for (const c of CLUSTERS.filter((c) => c.segment !== 'c1')) for (const h of [...c.directors, ...c.keepalived]) serveFrom(h, 80);
    serveFrom('rs1', 8080);
    serveFrom('rs2', 8080);
  }

  async api(method: string, path: string, body?: unknown, timeoutMs = 12_000): Promise<ApiResult> {
    return this.cpSide.call<ApiResult>('api', method, path, body ?? null, timeoutMs);
  }

  /**
   * Seconds since the control plane last stored a report of each director (the fleet gauges),
   * or undefined when it does not answer: proof that reports go all the way into the database.
   */
  async reportAges(): Promise<Record<string, number> | undefined> {
    const r = await this.api('GET', '/v1/fleet/metrics', undefined, 5000);
    if (r.status !== 200 || !r.text) return undefined;
    const ages: Record<string, number> = {};
    for (const m of r.text.matchAll(/^vigil_fleet_director_report_age_seconds\{[^}]*director="([^"]+)"[^}]*\} (\S+)$/gm)) ages[m[1]!] = Number(m[2]);
    return ages;
  }

  async apiOk<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    let r = await this.api(method, path, body);
    // No answer in time (a machine at load 25): asked again where asking twice is harmless.
    const repeatable = method === 'GET' || method === 'PUT' || path.endsWith('/enrollment-tokens');
    for (let i = 0; r.status === 0 && repeatable && i < 3; i++) r = await this.api(method, path, body);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body ?? r.text)}`);
    return r.body as T;
  }

  cpPid(): number | undefined {
    const p = this.cp;
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  async startControlPlane(): Promise<void> {
    this.cp = this.spawnLogged('control-plane', 'ip', ['netns', 'exec', this.ns('cp'), process.execPath, VIGIL, 'control-plane',
      '--port', String(CP_PORT), '--database-url', `postgres://postgres@127.0.0.1:${PG_PROXY_PORT}/postgres`,
      '--data-dir', join(this.work, 'cp'), '--public-url', CP_URL, '--checkpoint-interval', '10'],
    { ...process.env, VIGIL_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, LOG_LEVEL: 'warn' });
    for (let i = 0; ; i++) {
      const r = await this.api('GET', '/readyz', undefined, 3000);
      if (r.status === 200) return;
      if (this.cp.exitCode !== null) throw new Error(`the control plane exited: ${this.logTail('control-plane')}`);
      if (i > 600) throw new Error(`the control plane is not ready after 60 s (${r.status} ${JSON.stringify(r.body ?? r.text)}): ${this.logTail('control-plane')}`);
      await sleep(100);
    }
  }

  /** The database proxy forwards to `n` from now on; every connection through it is reset. */
  async pointProxyAt(n: 'pg1' | 'pg2'): Promise<void> {
    await this.cpSide.call('target', PG_HOSTS[n], PG_PORT);
    await this.cpSide.call('reset');
  }

  /** kill -9 of the control plane (nothing flushed, connections dropped). */
  async killControlPlane(): Promise<void> {
    const p = this.cp;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  private async provision(): Promise<void> {
    const sites = [...new Set(CLUSTERS.map((c) => c.site))];
    for (const s of sites) await this.apiOk('POST', '/v1/sites', { name: s });
    for (const c of CLUSTERS) {
      const id = (await this.apiOk<{ id: string }>('POST', `/v1/sites/${c.site}/clusters`, { name: c.cluster })).id;
      this.clusterIds[c.cluster] = id;
      for (const d of c.directors) await this.apiOk('POST', `/v1/clusters/${id}/directors`, { name: d });
      await this.apiOk('PUT', `/v1/clusters/${id}/spec`, { spec: clusterSpec(c), message: 'soak: initial' });
    }
    for (const c of CLUSTERS) {
      for (const d of c.directors) {
        const minted = await this.apiOk<{ install: { command: string } }>('POST', `/v1/sites/${c.site}/enrollment-tokens`, { maxUses: 1, cluster: c.cluster, director: d });
        const root = this.makeRoot(d);
        this.roots[d] = root;
        const r = await root.run(`${root.envPrefix()}cd /root && ${minted.install.command}`, 300_000);
        if (r.code !== 0) throw new Error(`install on ${d}: ${r.out}`);
      }
    }
    for (const d of DIRECTORS) {
      for (let i = 0; !this.roots[d]!.agentPid(); i++) {
        if (i > 200) throw new Error(`${d}: the agent did not start: ${this.roots[d]!.log()}`);
        await sleep(100);
      }
    }
  }

  /** A director's root: its state dir on a small filesystem of its own; lb6's agent on a clock of its own. */
  private makeRoot(d: string): DirectorRoot {
    const dir = join(this.work, 'roots', d);
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true });
    // ext4 on a loop device rather than tmpfs: it can fill up, and it can go read-only under
    // the agent as a real disk does (errors=remount-ro after an I/O error).
    execFileSync('truncate', ['-s', `${STATE_FS_MB}M`, this.stateImage(d)]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', this.stateImage(d)]);
    this.mountState(d);
    this.mounts.push(state);
    const binds: Array<[string, string]> = [[state, '/var/lib/vigil']];
    let agentEnv: Record<string, string> | undefined;
    if (d === CLOCK_DIRECTOR) {
      const clock = join(dir, 'clock');
      mkdirSync(clock, { recursive: true });
      writeFileSync(join(clock, 'faketimerc'), '+0\n');
      binds.push([clock, '/var/lib/vigil-lab-clock']);
      // A step of the wall clock only: monotonic time (timers, VRRP) is untouched, as with `date -s`.
      agentEnv = { LD_PRELOAD: '/usr/local/lib/libfaketime.so.1', FAKETIME_TIMESTAMP_FILE: '/var/lib/vigil-lab-clock/faketimerc', FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    }
    const root = new DirectorRoot({ ns: this.ns(d) }, join(dir, 'root'), { binds, ...(agentEnv ? { agentEnv } : {}) });
    // This kernel has no IPVS: the load-balancing directors program nftables, so they need the
    // nftables package (README), which the minimal root lacks; the host's own (same Debian
    // release) binary and libraries are what `apt-get install nftables` would put there.
    if (CLUSTERS.some((c) => c.directors.includes(d) && c.segment === 'c1')) {
      for (const f of NFT_FILES) {
        mkdirSync(join(root.upper, f, '..'), { recursive: true });
        copyFileSync(f, join(root.upper, f));
      }
      chmodSync(join(root.upper, '/usr/sbin/nft'), 0o755);
    }
    if (agentEnv) {
      mkdirSync(join(root.upper, 'usr/local/lib'), { recursive: true });
      copyFileSync(FAKETIME_LIB, join(root.upper, 'usr/local/lib/libfaketime.so.1'));
    }
    return root;
  }

  /** The wall-clock offset of the clock director's agent, in seconds (a step when it changes). */
  setClockOffset(seconds: number): void {
    writeFileSync(join(this.work, 'roots', CLOCK_DIRECTOR, 'clock', 'faketimerc'), `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  }

  /** Loop devices the lab attached (detached when it is destroyed). */
  private readonly loops: string[] = [];

  /**
   * Mounts the director's state image through a loop device of its own, a new one each time: a
   * filesystem that went read-only may stay referenced a while after its unmount (its device
   * and superblock with it), and `mount -o loop` would reuse that device and its read-only
   * superblock.
   */
  private mountState(d: string): void {
    const state = this.stateFs(d);
    const dev = execFileSync('losetup', ['-f', '--show', this.stateImage(d)], { encoding: 'utf8' }).trim();
    this.loops.push(dev);
    execFileSync('mount', ['-o', 'errors=remount-ro', dev, state]);
    chmodSync(state, 0o755);
  }

  /**
   * The director's state filesystem goes read-only under its agent, as ext4 does after an I/O
   * error with errors=remount-ro (the kernel's own error path, through trigger_fs_error): every
   * write then fails with EROFS until it is checked and mounted again.
   */
  failStateFs(d: string): void {
    const dev = execFileSync('findmnt', ['-n', '-o', 'SOURCE', this.stateFs(d)], { encoding: 'utf8' }).trim().split('/').pop()!;
    writeFileSync(`/sys/fs/ext4/${dev}/trigger_fs_error`, '1');
  }

  /** An operator's repair, with the agent stopped: unmount, e2fsck, mount again. */
  async repairStateFs(d: string): Promise<void> {
    const state = this.stateFs(d);
    for (let i = 0; ; i++) {
      try { execFileSync('umount', [state], { stdio: 'pipe' }); break; } catch (e) {
        if (i >= 50) throw new Error(`${d}: the state filesystem stays busy: ${(e as Error).message}`);
        await sleep(100);
      }
    }
    try {
      execFileSync('e2fsck', ['-fy', this.stateImage(d)], { stdio: 'pipe' });
    } catch (e) {
      // 1: errors corrected (the one the kernel recorded); 4 and up: it could not.
      if ((e as { status?: number }).status !== 1) throw new Error(`${d}: e2fsck of the state filesystem failed: ${(e as Error).message}`);
    }
    this.mountState(d);
  }

  /** The ext4 image behind a director's state filesystem. */
  private stateImage(d: string): string {
    return join(this.work, 'roots', d, 'state.img');
  }

  /** The host path of a director's state filesystem. */
  stateFs(d: string): string {
    return join(this.work, 'roots', d, 'state');
  }

  startKeepalived(host: string): void {
    const dir = join(this.work, 'ka', host);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, keepalivedConf(host));
    const p = this.spawnLogged(`keepalived-${host}`, 'ip', ['netns', 'exec', this.ns(host), '/usr/sbin/keepalived', '-n', '-l', '-D', '-P', '-f', conf,
      '-p', join(dir, 'k.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'chk.pid')]);
    this.keepalived.set(host, p);
  }

  /** Who holds each VIP now (every managed director and keepalived peer asked): { vip: [hosts] }. */
  holders(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of CLUSTERS) for (const i of Object.values(c.instances)) out[i.vip.split('/')[0]!] = [];
    for (const h of [...DIRECTORS, ...KEEPALIVED]) {
      let text = '';
      try { text = this.ip(this.ns(h), '-o', '-4', 'addr', 'show'); } catch { continue; }
      for (const m of text.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)) out[m[1]!]?.push(h);
    }
    return out;
  }

  /**
   * Splits a VRRP segment: `host` hears none of its peers and none hear it (an nftables rule in
   * the switch's bridge), while the client still reaches everyone and every agent still reaches
   * the control plane. Both sides elect a master: split brain by construction.
   */
  partition(segment: SegmentName, host: string): void {
    const p = this.port(segment, host);
    const c = this.port(segment, 'client');
    const t = `soak_${segment}`;
    execFileSync('ip', ['netns', 'exec', this.switchNs, 'nft', '-f', '-'], {
      input: `table bridge ${t} {\n chain soak {\n  type filter hook forward priority 0; policy accept;\n  iifname "${p}" oifname != "${c}" drop\n  oifname "${p}" iifname != "${c}" drop\n }\n}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  healPartition(segment: SegmentName): void {
    try { execFileSync('ip', ['netns', 'exec', this.switchNs, 'nft', 'delete', 'table', 'bridge', `soak_${segment}`], { stdio: 'ignore' }); } catch { /* none */ }
  }

  /**
   * Drops `percent`% of the VRRP adverts a host sends (nftables, random per packet, in its
   * namespace). This kernel has no sch_netem, so loss is injected by nftables and delay is not
   * injected at all.
   */
  dropVrrp(host: string, percent: number): void {
    const rule = percent >= 100 ? 'ip protocol vrrp drop' : `ip protocol vrrp numgen random mod 100 < ${Math.round(percent)} drop`;
    execFileSync('ip', ['netns', 'exec', this.ns(host), 'nft', '-f', '-'], {
      input: `table inet soak_loss {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ${rule}\n }\n}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  clearDrop(host: string): void {
    try { execFileSync('ip', ['netns', 'exec', this.ns(host), 'nft', 'delete', 'table', 'inet', 'soak_loss'], { stdio: 'ignore' }); } catch { /* none */ }
  }

  private readonly delays = new Map<string, { line: ChildProcess; ms: number }>();

  /**
   * Every VRRP packet `host` sends is held `ms` before it leaves: the NFQUEUE target (xt, which
   * nftables runs through its compat layer) hands it to delay-line.mjs in the host's namespace.
   */
  async delayVrrp(host: string, ms: number): Promise<void> {
    const line = spawn('ip', ['netns', 'exec', this.ns(host), process.execPath, join(repoRoot, 'infra/soak/delay-line.mjs'), String(DELAY_QUEUE), String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.add(line);
    line.once('exit', () => this.procs.delete(line));
    let said = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the delay line in ${host} was not ready in 30 s: ${said}`)), 30_000);
      line.stdout!.on('data', (b: Buffer) => { said += b.toString(); if (said.includes('ready')) { clearTimeout(t); resolve(); } });
      line.stderr!.on('data', (b: Buffer) => { said += b.toString(); });
      line.once('exit', (code) => { clearTimeout(t); reject(new Error(`the delay line in ${host} exited (${code}): ${said}`)); });
    });
    this.delays.set(host, { line, ms });
    execFileSync('ip', ['netns', 'exec', this.ns(host), 'iptables', '-w', '-A', 'OUTPUT', ...DELAY_RULE], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Adverts leave at once again; what the line still holds goes out on time before it stops. */
  async clearDelay(host: string): Promise<void> {
    try { execFileSync('ip', ['netns', 'exec', this.ns(host), 'iptables', '-w', '-D', 'OUTPUT', ...DELAY_RULE], { stdio: 'ignore' }); } catch { /* none */ }
    const d = this.delays.get(host);
    if (!d) return;
    this.delays.delete(host);
    // The kernel drops what is still queued when the listener goes: let it drain first.
    await sleep(d.ms + 300);
    const exited = new Promise<void>((r) => d.line.once('exit', () => r()));
    d.line.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
  }

  setLink(host: string, ifname: string, up: boolean): void {
    this.ip(this.ns(host), 'link', 'set', ifname, up ? 'up' : 'down');
  }

  /** The outbox's own counters of a director ({ acked, last }), read from its state filesystem. */
  outboxState(d: string): { acked: number; last: number } | undefined {
    try {
      return JSON.parse(readFileSync(join(this.stateFs(d), 'outbox', 'outbox.state'), 'utf8')) as { acked: number; last: number };
    } catch {
      return undefined;
    }
  }

  async destroy(): Promise<void> {
    for (const d of DIRECTORS) {
      try { this.roots[d]?.kill('SIGKILL'); } catch { /* gone */ }
    }
    await this.killControlPlane().catch(() => undefined);
    for (const c of [this.client, this.cpSide]) await c?.close().catch(() => undefined);
    for (const p of [...this.procs]) {
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill('SIGKILL');
        await Promise.race([exited, sleep(3000)]);
      }
    }
    this.keepLogs(); // before the state filesystems are unmounted
    await this.pg?.stop().catch((e) => this.log(`postgres stop: ${(e as Error).message}`));
    await sleep(300);
    for (const m of [...this.mounts].reverse()) {
      try { execFileSync('umount', ['-l', m]); } catch { /* not mounted */ }
    }
    // A loop device still held (by a lazily unmounted filesystem) is detached when released.
    for (const dev of this.loops) {
      try { execFileSync('losetup', ['-d', dev], { stdio: 'ignore' }); } catch { /* detached */ }
    }
    for (const ns of this.namespaces.reverse()) {
      try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* gone */ }
    }
    rmSync(this.work, { recursive: true, force: true });
  }

  /** VIGIL_SOAK_LOGS=DIR: the lab's logs (control plane, Postgres, every agent) are copied there. */
  private keepLogs(): void {
    const dir = process.env.VIGIL_SOAK_LOGS;
    if (!dir) return;
    try {
      mkdirSync(dir, { recursive: true });
      for (const f of readdirSync(this.work).filter((n) => n.endsWith('.log'))) copyFileSync(join(this.work, f), join(dir, f));
      for (const [d, root] of Object.entries(this.roots)) {
        const f = root.hostPath('var/lib/vigil/agent.log');
        if (existsSync(f)) copyFileSync(f, join(dir, `agent-${d}.log`));
      }
      this.log(`lab ${this.prefix}: logs kept in ${dir}`);
    } catch (e) {
      this.log(`lab ${this.prefix}: could not keep the logs in ${dir}: ${(e as Error).message}`);
    }
  }
}
