/**
 * `vigil lab chaos`: seeded faults on the demo pair for N minutes while a client in the lab
 * requests the VIP ten times a second. Each fault is made the way it happens on a real director
 * (the agent's process killed, stopped or frozen; the director's outside link down; loss on the
 * VRRP segments), the lab must be steady again after it (one director holding both VIPs, both
 * agents running, the control plane naming that master), and at the end the control plane's
 * failover log, the client's failed requests and the audit chain are judged (chaos-report.ts).
 * The fleet soak (infra/soak) is the same idea on six directors, Postgres and keepalived peers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../fleet/client.ts';
import { CliError, EXIT } from '../fleet/errors.ts';
import { judgeChaos, type ChaosFault, type ChaosKind, type ChaosResult, type ChaosTimers } from './chaos-report.ts';
import { masterDownIntervalMs, type Departure, type FailoverRecord, type FaultWindow, type Probe } from './judge.ts';
import { rng as seeded, type Rng } from './rng.ts';
import { alive, exec, must, nsName, packageRoot, startDaemon, stopPid, type DirectorRoot } from './system.ts';
import { ADVERT_MS, CLUSTER, DIRECTORS, GATEWAY_VIP, INSTANCES, PRIORITY, SITE, VIP } from './topology.ts';

export interface ChaosLab {
  name: string;
  dir: string;
  clusterId: string;
  api: ApiClient;
  roots: Record<string, DirectorRoot>;
  holds(director: string, address: string): Promise<boolean>;
}

export interface ChaosOptions { minutes: number; seed: number; kinds: readonly ChaosKind[]; log: (line: string) => void }

type Director = (typeof DIRECTORS)[number];
/** What a fault did: the judged fields of its window (judge.ts) without the times. */
type Outcome = Pick<FaultWindow, 'target' | 'disruptive' | 'victims' | 'departure'>;

const PROBE_EVERY_MS = 100;
const PROBE_TIMEOUT_MS = 500;
export const CHAOS_TIMERS: ChaosTimers = { advertMs: ADVERT_MS, lowestPriority: Math.min(...Object.values(PRIORITY)), probeTimeoutMs: PROBE_TIMEOUT_MS };
/** Long enough for the backup to declare a silent master down, with room for its takeover. */
const DOWN_MS = Math.ceil(masterDownIntervalMs(ADVERT_MS, CHAOS_TIMERS.lowestPriority)) + 500;
/** A frozen agent stays frozen well past the master-down interval (the backup must take over). */
const FREEZE_MS = 3 * DOWN_MS;
const FLAP_MS = 2000;
/** Loss the timers tolerate: three adverts in a row lost (a master-down) is 2%³ = 8·10⁻⁶. */
const LOSS_PERCENT = 2;
const LOSS_MS = 10_000;
const STEADY_WAIT_MS = 30_000;
/** Between faults: the judge gives each fault's window 3 s after it was steady. */
const PAUSE_MS = 4000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function holderOf(lab: ChaosLab, address: string): Promise<Director[]> {
  const out: Director[] = [];
  for (const d of DIRECTORS) if (await lab.holds(d, address)) out.push(d);
  return out;
}

async function waitGone(pid: number): Promise<void> {
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < 10_000) await sleep(20);
}

async function restart(lab: ChaosLab, d: Director): Promise<void> {
  const r = await lab.roots[d]!.startAgent();
  if (r.code !== 0) throw new Error(`starting ${d}'s agent again failed (${r.code}): ${r.stderr.trim()}`);
  const t0 = Date.now();
  while (!lab.roots[d]!.agentPid()) {
    if (Date.now() - t0 > 15_000) throw new Error(`${d}'s agent did not start again within 15 s (see its agent.log)`);
    await sleep(100);
  }
}

function pidOf(lab: ChaosLab, d: Director): number {
  const pid = lab.roots[d]!.agentPid();
  if (!pid) throw new Error(`${d}'s agent is not running`);
  return pid;
}

/**
 * A fault on one director picked by the seed: `act` does it; the outcome says whether that
 * director was master (then both instances of its sync group are the fault's victims).
 */
async function onDirector(lab: ChaosLab, rng: Rng, act: (d: Director) => Promise<void>, departure?: Departure): Promise<Outcome> {
  const d = rng.pick(DIRECTORS);
  const master = (await holderOf(lab, VIP)).includes(d);
  await act(d);
  return { target: d, disruptive: master, victims: master ? [...INSTANCES] : [], ...(departure ? { departure } : {}) };
}

/** The agent's process gets `signal`, and is started again (as an init system would) after `ms`. */
async function signalAndRestart(lab: ChaosLab, d: Director, signal: NodeJS.Signals, ms: number): Promise<void> {
  const pid = pidOf(lab, d);
  process.kill(pid, signal);
  await waitGone(pid);
  await sleep(ms);
  await restart(lab, d);
}

/** The faults, each as it happens on a real director. */
const FAULTS: Record<ChaosKind, (lab: ChaosLab, rng: Rng) => Promise<Outcome>> = {
  'agent-kill': (lab, rng) => onDirector(lab, rng, (d) => signalAndRestart(lab, d, 'SIGKILL', DOWN_MS), 'silent'),
  'agent-term': (lab, rng) => onDirector(lab, rng, (d) => signalAndRestart(lab, d, 'SIGTERM', 1000), 'graceful'),
  // A frozen master resumes believing it is master; the higher priority of the two keeps the
  // VIPs (RFC 5798 §6.4.3): they may move twice, both the freeze's.
  'agent-freeze': (lab, rng) => onDirector(lab, rng, async (d) => {
    const pid = pidOf(lab, d);
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(FREEZE_MS);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 'silent'),
  'link-flap': (lab, rng) => onDirector(lab, rng, async (d) => {
    const ns = nsName(lab.name, d);
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'down']);
    try {
      await sleep(FLAP_MS);
    } finally {
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }),
  async 'loss-tolerated'(lab) {
    // nftables rather than netem (a kernel may lack sch_netem): every advert either director
    // sends is dropped with probability LOSS_PERCENT, on both segments, in a table of its own.
    const table = `table inet vigil_lab_loss {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ip protocol vrrp numgen random mod 100 < ${LOSS_PERCENT} drop\n }\n}\n`;
    try {
      for (const d of DIRECTORS) {
        const r = await exec('ip', ['netns', 'exec', nsName(lab.name, d), 'nft', '-f', '-'], 10_000, table);
        if (r.code !== 0) throw new Error(`nft in ${d}: ${r.stderr.trim()}`);
      }
      await sleep(LOSS_MS);
    } finally {
      for (const d of DIRECTORS) await exec('ip', ['netns', 'exec', nsName(lab.name, d), 'nft', 'delete', 'table', 'inet', 'vigil_lab_loss']);
    }
    return { target: `lb1+lb2 (${LOSS_PERCENT}% of adverts)`, disruptive: false, victims: [] };
  },
};

/**
 * Steady: both agents run, one director holds both VIPs and the other neither, and the control
 * plane names that director master of both instances (no split brain). Returns why not, or ''.
 */
async function unsteady(lab: ChaosLab): Promise<string> {
  for (const d of DIRECTORS) if (!lab.roots[d]!.agentPid()) return `${d}'s agent is not running`;
  const out = await holderOf(lab, VIP);
  const gw = await holderOf(lab, GATEWAY_VIP);
  if (out.length !== 1 || gw.length !== 1 || out[0] !== gw[0]) return `${VIP} is on ${out.join('+') || 'no director'}, ${GATEWAY_VIP} on ${gw.join('+') || 'no director'}`;
  const fleet = await lab.api.fleet();
  const c = fleet.sites.find((s) => s.name === SITE)?.clusters.find((x) => x.name === CLUSTER);
  const wrong = INSTANCES.filter((i) => { const x = c?.instances.find((y) => y.name === i); return !x || x.splitBrain || x.master !== out[0]; });
  return wrong.length ? `the control plane does not yet name ${out[0]} master of ${wrong.join(', ')}` : '';
}

async function waitSteady(lab: ChaosLab, ms: number): Promise<string> {
  const t0 = Date.now();
  let why = '';
  for (;;) {
    why = await unsteady(lab).catch((e: Error) => e.message);
    if (!why || Date.now() - t0 > ms) return why;
    await sleep(250);
  }
}

function readProbes(file: string): Probe[] {
  const out: Probe[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const p = JSON.parse(line) as { at?: unknown; ok?: unknown };
      if (typeof p.at === 'number' && typeof p.ok === 'boolean') out.push({ vip: VIP, at: p.at, ok: p.ok });
    } catch { /* a line cut by the prober's stop */ }
  }
  return out;
}

export async function runChaos(lab: ChaosLab, o: ChaosOptions): Promise<ChaosResult> {
  const before = await waitSteady(lab, STEADY_WAIT_MS);
  if (before) throw new CliError(`the lab is not steady, so a fault's effect could not be told apart: ${before}; see "vigil lab status"`, EXIT.CONFLICT);
  const probeFile = join(lab.dir, 'logs', `chaos-${Date.now()}.jsonl`);
  const prober = startDaemon(nsName(lab.name, 'client'), [process.execPath, join(packageRoot(), 'agent/src/cli/lab/prober.mjs'), `http://${VIP}/`, String(PROBE_EVERY_MS), String(PROBE_TIMEOUT_MS)], probeFile);
  const rng = seeded(o.seed);
  const faults: ChaosFault[] = [];
  const startedAt = Date.now();
  try {
    await sleep(2000);
    while (Date.now() < startedAt + o.minutes * 60_000) {
      const kind = rng.pick(o.kinds);
      const start = Date.now();
      let outcome: Outcome = { target: '?', disruptive: true, victims: [] };
      let error: string | undefined;
      try {
        outcome = await FAULTS[kind](lab, rng);
      } catch (e) {
        error = `the fault itself failed: ${(e as Error).message}`;
      }
      const end = Date.now();
      const why = await waitSteady(lab, STEADY_WAIT_MS);
      const steadyAt = Date.now();
      if (why && !error) error = `not steady ${STEADY_WAIT_MS / 1000} s after: ${why}`;
      faults.push({ kind, cluster: CLUSTER, splitBrain: false, start, end, steadyAt, ...outcome, ...(error ? { error } : {}) });
      o.log(`chaos: ${new Date(start).toISOString()} ${kind} ${outcome.target}${outcome.disruptive ? ' (master)' : ''}: ${end - start} ms, steady after ${steadyAt - end} ms${error ? ` — ${error}` : ''}`);
      await sleep(PAUSE_MS);
    }
  } finally {
    await stopPid(prober);
  }
  const endedAt = Date.now();
  const failovers: FailoverRecord[] = (await lab.api.failovers({ cluster: lab.clusterId, since: new Date(startedAt - 60_000).toISOString(), limit: 1000 }))
    .map((f) => ({ kind: 'failover', cluster: f.cluster, instance: f.instance, oldMaster: f.oldMaster, newMaster: f.newMaster, cause: f.cause, at: f.at, eventId: f.eventId }));
  // Every row from the first; the incremental check (since the newest checkpoint) when a full
  // one ran less than a minute ago.
  const chain = await lab.api.verifyEvents(true).catch(() => lab.api.verifyEvents());
  return judgeChaos({ seed: o.seed, startedAt, endedAt, faults, failovers, probes: readProbes(probeFile), chain }, CHAOS_TIMERS);
}

