/**
 * `vigil lab up|status|failover|chaos|down`: the seed articles' demo on one machine (root). See
 * topology.ts for the layout. `up` builds the namespaces, starts real servers and a control plane
 * on its embedded database, registers the site, cluster, directors and spec through the API, and
 * installs both directors with install.sh and a token minted for each; `failover` kills the
 * master's agent and shows what happened and where it is in the API; `chaos` runs seeded faults
 * on it and judges them (chaos.ts); `down` removes everything.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { int, parseArgs, str } from '../fleet/args.ts';
import { ApiClient, type Failover } from '../fleet/client.ts';
import { run, type Io } from '../fleet/context.ts';
import { CliError, EXIT, UsageError } from '../fleet/errors.ts';
import { Http } from '../fleet/http.ts';
import { json } from '../fleet/output.ts';
import {
  alive, createNetwork, deleteNetwork, DirectorRoot, exec, namespaces, nsName, packageRoot, startDaemon, stopPid,
} from './system.ts';
import { runChaos } from './chaos.ts';
import { CHAOS_KINDS, formatChaos, type ChaosKind } from './chaos-report.ts';
import { CLUSTER, CP_ADDRESS, CP_PORT_IN_LAB, DIRECTORS, GATEWAY_VIP, HOSTS, labSpec, METRICS_PORT, REAL_SERVERS, SITE, VIP } from './topology.ts';

export const LAB_USAGE = `usage: vigil lab up [--name vlab] [--dir /var/lib/vigil-lab] [--port 18080]
       vigil lab status [--name vlab] [-o json]
       vigil lab failover [--name vlab]
       vigil lab chaos [--name vlab] [--minutes 5] [--seed 1] [--faults kind,...] [-o json]
       vigil lab down [--name vlab]

The seed articles' LVS-NAT demo on this machine (root; network namespaces): two directors
installed with install.sh and enrolled with a token minted for each, a control plane on its
embedded database (on 127.0.0.1:PORT for this machine's CLI), two real servers and a client.

  up        build it and print how to reach it (VIGIL_API / VIGIL_TOKEN for the other commands)
  status    who holds the VIPs, what the control plane says, a request through the VIP
  failover  kill the master's agent (SIGKILL, a crash), time the takeover, show the failover
            record in the API; the killed agent is then started again and rejoins as backup
  chaos     seeded faults for --minutes while a client in the lab requests the VIP ten times a
            second: agent-kill (SIGKILL, restarted), agent-term (SIGTERM, restarted),
            agent-freeze (SIGSTOP past the master-down interval, SIGCONT), link-flap (a
            director's outside link down 2 s), loss-tolerated (2% of both directors' adverts lost for
            10 s: no failover allowed). Prints per fault kind the failovers the control plane
            recorded, the requests that failed and the longest outage beside what the VRRP
            timers allow; exits 1 if a failover the lab did not cause was recorded, one it caused
            was not or with the wrong cause (a stopped agent sends priority 0, a killed or frozen
            one cannot), the audit chain does not verify, or the lab was not steady after a fault.
            The same --seed gives the same faults in the same order.
  down      stop every process and remove every namespace the lab made
`;

interface LabState {
  name: string;
  dir: string;
  port: number;
  token: string;
  pids: Record<string, number>;
  clusterId?: string;
}

const statePath = (dir: string) => join(dir, 'lab.json');
const dirOf = (name: string, dir?: string) => dir ?? (name === 'vlab' ? '/var/lib/vigil-lab' : `/var/lib/vigil-lab-${name}`);

function readState(dir: string): LabState | undefined {
  if (!existsSync(statePath(dir))) return undefined;
  return JSON.parse(readFileSync(statePath(dir), 'utf8')) as LabState;
}

function writeState(s: LabState): void {
  writeFileSync(statePath(s.dir), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  chmodSync(statePath(s.dir), 0o600);
}

const apiOf = (s: LabState) => new ApiClient(new Http({ api: `http://127.0.0.1:${s.port}`, token: s.token, from: { api: 'lab', token: 'lab' } }, 20_000));
const roots = (s: LabState) => Object.fromEntries(DIRECTORS.map((d) => [d, new DirectorRoot(nsName(s.name, d), join(s.dir, d))])) as Record<string, DirectorRoot>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms: number, every = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() - t0 > ms) throw new CliError(`the lab: timed out after ${ms / 1000} s waiting for ${what}`, EXIT.UNAVAILABLE);
    await sleep(every);
  }
}

/** Whether a director's namespace holds an address on eth0/eth1. */
async function holds(s: LabState, director: string, address: string): Promise<boolean> {
  const r = await exec('ip', ['-n', nsName(s.name, director), '-o', 'addr', 'show']);
  return r.stdout.includes(` ${address}/`);
}

async function throughVip(s: LabState): Promise<string> {
  const r = await exec('ip', ['netns', 'exec', nsName(s.name, 'client'), 'curl', '-s', '--max-time', '2', `http://${VIP}/`], 5000);
  return r.code === 0 ? r.stdout.trim() : `(no answer: curl exit ${r.code})`;
}

function checkRoot(): void {
  if (process.getuid?.() !== 0) throw new CliError('vigil lab needs root (network namespaces, raw sockets, mounts): run it with sudo', EXIT.AUTH);
}

async function up(io: Io, name: string, dir: string, port: number): Promise<number> {
  checkRoot();
  const existing = readState(dir);
  const mine = (await namespaces()).filter((n) => n.startsWith(`${name}-`));
  if (existing || mine.length) {
    throw new CliError(`a lab named ${name} exists (${existing ? statePath(dir) : mine.join(', ')}); "vigil lab status --name ${name}" shows it, "vigil lab down --name ${name}" removes it`, EXIT.CONFLICT);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const s: LabState = { name, dir, port, token: `vgl_lab_${randomBytes(24).toString('base64url')}`, pids: {} };
  writeState(s);
  const root = packageRoot();
  const vigil = join(root, 'agent', 'bin', 'vigil.mjs');
  const say = (t: string) => io.err(`lab: ${t}\n`);
  try {
    say(`network namespaces ${name}-{sw,${HOSTS.map((h) => h.host).join(',')}}`);
    await createNetwork(name);
    for (const rs of REAL_SERVERS) {
      s.pids[rs] = startDaemon(nsName(name, rs), [process.execPath, join(root, 'agent/src/cli/lab/real-server.mjs'), rs, '8080'], join(dir, 'logs', `${rs}.log`));
    }
    say(`control plane on http://127.0.0.1:${port} (embedded database in ${dir}/cp), reached from the lab at http://${CP_ADDRESS}:${CP_PORT_IN_LAB}`);
    s.pids.cp = startDaemon(undefined, [process.execPath, vigil, 'control-plane', '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir, 'cp'), '--public-url', `http://${CP_ADDRESS}:${CP_PORT_IN_LAB}`], join(dir, 'logs', 'control-plane.log'), { VIGIL_BOOTSTRAP_TOKEN: s.token });
    const sock = join(dir, 'cp.sock');
    s.pids.relayHost = startDaemon(undefined, [process.execPath, join(root, 'agent/src/cli/lab/relay.mjs'), 'unix-to-tcp', sock, `127.0.0.1:${port}`], join(dir, 'logs', 'relay.log'));
    s.pids.relayLab = startDaemon(nsName(name, 'cp'), [process.execPath, join(root, 'agent/src/cli/lab/relay.mjs'), 'tcp-to-unix', `${CP_ADDRESS}:${CP_PORT_IN_LAB}`, sock], join(dir, 'logs', 'relay-lab.log'));
    writeState(s);
    const api = apiOf(s);
    await until('the control plane to answer', async () => (await api.sites()) !== undefined, 120_000, 250);

    say(`site ${SITE}, cluster ${CLUSTER}, directors ${DIRECTORS.join(' and ')}, and the spec (VIPs ${VIP} and ${GATEWAY_VIP}, web service on ${VIP}:80)`);
    await api.createSite(SITE, 'vigil lab');
    const cluster = await api.createCluster(SITE, CLUSTER);
    s.clusterId = cluster.id;
    writeState(s);
    for (const d of DIRECTORS) await api.createDirector(cluster.id, d);
    await api.putSpec(cluster.id, labSpec(), 'vigil lab', 0);

    const r = roots(s);
    for (const d of DIRECTORS) {
      const minted = await api.createEnrollmentToken(SITE, { cluster: CLUSTER, director: d, maxUses: 1, expiresInSeconds: 3600, description: 'vigil lab' });
      say(`${d}: install.sh with a token minted for it (the command an operator pastes: curl, sha256sum -c, --token-stdin)`);
      const installed = await r[d]!.run(minted.install.command, 600_000);
      if (installed.code !== 0) throw new CliError(`install on ${d} failed (${installed.code}):\n${installed.stdout}${installed.stderr}`, EXIT.UNAVAILABLE);
      // The operator's local settings (agent.json): metrics for Prometheus, then a restart.
      const file = join(r[d]!.upper, 'etc/vigil/agent.json');
      const conf = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, `${JSON.stringify({ ...conf, metricsListen: `0.0.0.0:${METRICS_PORT}` }, null, 2)}\n`, { mode: 0o600 });
      await stopPid(r[d]!.agentPid());
      const started = await r[d]!.startAgent();
      if (started.code !== 0) throw new CliError(`starting the agent on ${d} failed: ${started.stderr}`, EXIT.UNAVAILABLE);
      await until(`the agent on ${d} to start`, async () => r[d]!.agentPid(), 30_000);
    }
    say('waiting for the directors to run revision 1 and elect a master');
    await until('both directors to report revision 1', async () => {
      const ds = await api.directors(cluster.id);
      return ds.length === 2 && ds.every((x) => x.appliedRevision === 1 && x.lastSeenAt !== null);
    }, 120_000, 500);
    const master = await until('a master holding both VIPs', async () => {
      for (const d of DIRECTORS) if ((await holds(s, d, VIP)) && (await holds(s, d, GATEWAY_VIP))) return d;
      return undefined;
    }, 30_000);
    const answer = await until('the web service through the VIP', async () => {
      const a = await throughVip(s);
      return REAL_SERVERS.some((rs) => a === rs) ? a : undefined;
    }, 30_000, 500);
    io.out([
      `lab ${name} is up: ${master} is master of ${VIP} (outside) and ${GATEWAY_VIP} (inside gateway)`,
      `  a request from the client through ${VIP}:80 reached ${answer}`,
      `  control plane: http://127.0.0.1:${port} (the lab reaches it at http://${CP_ADDRESS}:${CP_PORT_IN_LAB})`,
      `  agents' metrics: http://${'192.0.2.11'}:${METRICS_PORT}/metrics and http://192.0.2.12:${METRICS_PORT}/metrics (inside the lab)`,
      '',
      'use the fleet commands against it:',
      `  export VIGIL_API=http://127.0.0.1:${port} VIGIL_TOKEN=$(cat ${join(dir, 'token')})`,
      `  vigil fleet; vigil failovers --follow; vigil lab failover${name === 'vlab' ? '' : ` --name ${name}`}`,
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'token'), `${s.token}\n`, { mode: 0o600 });
    return EXIT.OK;
  } catch (e) {
    io.err(`lab: up failed; what was started stays for inspection (logs in ${dir}/logs and ${dir}/<director>/upper/var/lib/vigil/agent.log): "vigil lab down${name === 'vlab' ? '' : ` --name ${name}`}" removes it\n`);
    throw e;
  }
}

async function status(io: Io, s: LabState, format: string): Promise<number> {
  const r = roots(s);
  const directors = [];
  for (const d of DIRECTORS) directors.push({ director: d, agentPid: r[d]!.agentPid() ?? null, holds: { [VIP]: await holds(s, d, VIP), [GATEWAY_VIP]: await holds(s, d, GATEWAY_VIP) } });
  const processes = Object.fromEntries(Object.entries(s.pids).map(([k, pid]) => [k, { pid, alive: alive(pid) }]));
  let fleet: unknown;
  try {
    const f = await apiOf(s).fleet();
    fleet = f.sites.find((x) => x.name === SITE)?.clusters.find((c) => c.name === CLUSTER);
  } catch (e) {
    fleet = { error: (e as Error).message };
  }
  const request = await throughVip(s);
  if (format === 'json') {
    io.out(json({ name: s.name, dir: s.dir, api: `http://127.0.0.1:${s.port}`, processes, directors, cluster: fleet, requestThroughVip: request }));
    return EXIT.OK;
  }
  io.out(`lab ${s.name} (${s.dir}), control plane http://127.0.0.1:${s.port}\n`);
  for (const [k, p] of Object.entries(processes)) io.out(`  ${k.padEnd(10)} pid ${p.pid} ${p.alive ? 'running' : 'NOT RUNNING'}\n`);
  for (const d of directors) io.out(`  ${d.director.padEnd(10)} agent ${d.agentPid ? `pid ${d.agentPid}` : 'NOT RUNNING'}; holds ${Object.entries(d.holds).filter(([, v]) => v).map(([k]) => k).join(', ') || 'no VIP'}\n`);
  const c = fleet as { instances?: { name: string; master: string | null; splitBrain: boolean }[]; directors?: { name: string; appliedRevision: number | null; drift: boolean }[] } | undefined;
  if (c?.instances) io.out(`  control plane: ${c.instances.map((i) => `${i.name} master ${i.splitBrain ? 'SPLIT BRAIN' : i.master ?? 'none'}`).join(', ')}; ${c.directors?.map((d) => `${d.name} at revision ${d.appliedRevision ?? '-'}${d.drift ? ' (drift)' : ''}`).join(', ')}\n`);
  io.out(`  client -> http://${VIP}/ : ${request}\n`);
  return EXIT.OK;
}

async function failover(io: Io, s: LabState, format: string): Promise<number> {
  const r = roots(s);
  const api = apiOf(s);
  let master: string | undefined;
  for (const d of DIRECTORS) if (await holds(s, d, VIP)) master = d;
  if (!master) throw new CliError(`no director holds ${VIP}: see "vigil lab status"`, EXIT.CONFLICT);
  const backup = DIRECTORS.find((d) => d !== master)!;
  const pid = r[master]!.agentPid();
  if (!pid) throw new CliError(`${master} holds ${VIP} but its agent is not running`, EXIT.CONFLICT);
  const since = new Date(Date.now() - 1000).toISOString();
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const tookOverMs = await until(`${backup} to take over ${VIP}`, async () => ((await holds(s, backup, VIP)) ? Date.now() - killedAt : undefined), 15_000, 10);
  const record = await until('the failover record in the API', async () => {
    const list = await api.failovers({ cluster: s.clusterId, since, limit: 10 });
    return list.find((f: Failover) => f.newMaster === backup && f.oldMaster === master);
  }, 30_000, 250);
  // An init system restarts a crashed agent: it comes back and, with nopreempt, stays backup.
  const restarted = await r[master]!.startAgent();
  const back = restarted.code === 0 ? await until(`${master}'s agent to restart`, async () => r[master]!.agentPid(), 30_000).catch(() => undefined) : undefined;
  const answer = await throughVip(s);
  const result = { killed: { director: master, pid, signal: 'SIGKILL' }, newMaster: backup, vipMovedAfterMs: tookOverMs, failover: record, restarted: back ? { director: master, pid: back } : null, requestThroughVip: answer };
  if (format === 'json') {
    io.out(json(result));
    return EXIT.OK;
  }
  io.out([
    `killed the agent of ${master} (pid ${pid}, SIGKILL: a crash, no priority-0 advert)`,
    `${backup} holds ${VIP} ${tookOverMs} ms later (measured here, from the kill to the address on ${backup}'s eth0)`,
    `the control plane recorded it: ${record.instance} ${record.oldMaster} -> ${record.newMaster}, cause ${record.cause}, gap ${record.gapMs ?? '?'} ms from ${master}'s last advert`,
    `  in the API:  GET /v1/failovers?cluster=${s.clusterId}   (vigil failovers --cluster ${SITE}/${CLUSTER})`,
    `               GET /v1/events?cluster=${s.clusterId}&kind=vrrp.transition   (vigil events --cluster ${SITE}/${CLUSTER} --kind vrrp.transition)`,
    back ? `${master}'s agent was started again (pid ${back}) and rejoins as backup (nopreempt)` : `${master}'s agent did not restart: see ${join(s.dir, master, 'upper/var/lib/vigil/agent.log')}`,
    `client -> http://${VIP}/ : ${answer}`,
    '',
  ].join('\n'));
  return EXIT.OK;
}

interface ChaosArgs { minutes: number; seed: number; kinds: ChaosKind[] }

function chaosArgs(a: ReturnType<typeof parseArgs>): ChaosArgs {
  const minutes = int(a, 'minutes', 'vigil lab chaos') ?? 5;
  if (minutes > 7 * 24 * 60) throw new UsageError('vigil lab chaos: --minutes is 1..10080 (a week)');
  const seedText = str(a, 'seed') ?? '1';
  if (!/^\d{1,10}$/.test(seedText) || Number(seedText) > 2 ** 32 - 1) throw new UsageError(`vigil lab chaos: --seed is an integer 0..4294967295, not "${seedText}"`);
  const list = str(a, 'faults')?.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = list?.filter((k) => !(CHAOS_KINDS as readonly string[]).includes(k)) ?? [];
  if (bad.length) throw new UsageError(`vigil lab chaos: --faults: unknown kind ${bad.map((k) => `"${k}"`).join(', ')}; the kinds are ${CHAOS_KINDS.join(', ')}`);
  if (list && !list.length) throw new UsageError(`vigil lab chaos: --faults names no kind; the kinds are ${CHAOS_KINDS.join(', ')}`);
  return { minutes, seed: Number(seedText), kinds: (list ?? [...CHAOS_KINDS]) as ChaosKind[] };
}

async function runChaosVerb(io: Io, s: LabState, o: ChaosArgs, format: string): Promise<number> {
  if (!s.clusterId) throw new CliError(`the lab ${s.name} never finished "up" (no cluster recorded): "vigil lab down${s.name === 'vlab' ? '' : ` --name ${s.name}`}" and up again`, EXIT.CONFLICT);
  const lab = { name: s.name, dir: s.dir, clusterId: s.clusterId, api: apiOf(s), roots: roots(s), holds: (d: string, address: string) => holds(s, d, address) };
  const r = await runChaos(lab, { ...o, log: (line) => io.err(`${line}\n`) });
  io.out(format === 'json' ? json(r) : formatChaos(r, VIP));
  return r.passed ? EXIT.OK : EXIT.INVALID;
}

async function down(io: Io, name: string, dir: string): Promise<number> {
  checkRoot();
  const s = readState(dir);
  const stopped: string[] = [];
  if (s) {
    const r = roots(s);
    for (const d of DIRECTORS) {
      const pid = r[d]!.agentPid();
      if (pid) {
        await stopPid(pid);
        stopped.push(`${d} agent (${pid})`);
      }
    }
    for (const [k, pid] of Object.entries(s.pids)) {
      if (alive(pid)) {
        await stopPid(pid, k === 'cp' ? 15_000 : 5000);
        stopped.push(`${k} (${pid})`);
      }
    }
  }
  const gone = await deleteNetwork(name);
  if (s || existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  io.out(`lab ${name} removed: ${stopped.length ? `stopped ${stopped.join(', ')}; ` : ''}${gone.length ? `deleted ${gone.join(', ')}` : 'no namespaces left'}\n`);
  return EXIT.OK;
}

export async function runLab(argv: string[], io: Io): Promise<number> {
  return run(io, LAB_USAGE, argv, async () => {
    const a = parseArgs(argv, { name: { value: true }, dir: { value: true }, port: { value: true }, output: { value: true, short: 'o' }, minutes: { value: true }, seed: { value: true }, faults: { value: true }, help: { short: 'h' } }, 'vigil lab');
    const [verb, extra] = a.positionals;
    if (verb !== 'chaos') for (const k of ['minutes', 'seed', 'faults']) if (a.options[k] !== undefined) throw new UsageError(`vigil lab: --${k} is an option of "vigil lab chaos"`);
    if (extra !== undefined) throw new UsageError(`vigil lab: unexpected "${extra}"`);
    const name = str(a, 'name') ?? 'vlab';
    if (!/^[a-z][a-z0-9]{0,7}$/.test(name)) throw new UsageError('vigil lab: --name is 1-8 lowercase letters and digits, starting with a letter');
    const dir = dirOf(name, str(a, 'dir'));
    const format = str(a, 'output') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError('vigil lab: -o table or json');
    switch (verb) {
      case 'up': {
        const port = int(a, 'port', 'vigil lab') ?? 18080;
        if (port > 65535) throw new UsageError('vigil lab: --port is 1..65535');
        return up(io, name, dir, port);
      }
      case 'status': case 'failover': case 'chaos': {
        const chaos = verb === 'chaos' ? chaosArgs(a) : undefined;
        checkRoot();
        const s = readState(dir);
        if (!s) throw new CliError(`no lab named ${name} (${statePath(dir)} is missing): "vigil lab up${name === 'vlab' ? '' : ` --name ${name}`}"`, EXIT.NOT_FOUND);
        if (chaos) return runChaosVerb(io, s, chaos, format);
        return verb === 'status' ? status(io, s, format) : failover(io, s, format);
      }
      case 'down':
        return down(io, name, dir);
      default:
        throw new UsageError(verb ? `vigil lab: unknown verb "${verb}"` : 'vigil lab: up, status, failover, chaos or down');
    }
  });
}
