/**
 * The soak: builds the lab (lab.ts), lets it settle, starts client traffic through every VIP,
 * then injects faults (faults.ts) one after another in a seeded random order (each round a
 * shuffled deck of every kind, so a run covers them all as time allows) until the time is up.
 * Between faults it waits for the lab to be steady again: every agent up, every VIP on exactly
 * its preferred director. All along it samples the memory and file descriptors of every agent
 * and of the control plane, and notices agents that restarted when no fault restarted them. At
 * the end it heals everything, waits for every outbox to drain, collects what the control plane
 * stored, and judges it (analysis.ts): one table, one verdict.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  attributeOutages, judgeEvents, judgeFailovers, judgeSplitBrain, memoryTrends, outages, splitWindowOf,
  type FailoverRecord, type FaultRecord, type MemSample, type Probe, type SeqRecord, type SplitBrainEvent,
} from './analysis.ts';
import { FAULTS, FAULT_KINDS, type FaultKind } from './faults.ts';
import { SoakLab } from './lab.ts';
import { rng as seeded } from '#agent/cli/lab/rng.ts';
import { ADVERT_MS, CLUSTERS, DIRECTORS, PG_PROXY_PORT, REPORT_INTERVAL_MS, masterDownMs } from './topology.ts';
import { formatReport } from './report.ts';

/** A director whose last stored report is older than this is not steady (3 report intervals). */
const REPORT_STALE_S = (3 * REPORT_INTERVAL_MS) / 1000;

export interface SoakOptions {
  minutes: number;
  seed: number;
  /** Only these fault kinds (default: all). */
  kinds?: FaultKind[];
  prefix?: string;
  log?: (line: string) => void;
  /** Quiet time before the first fault and after the last (ms). */
  quietMs?: number;
  /** Aborted (Ctrl-C): no further fault; the run is judged and the lab removed as at its end. */
  signal?: AbortSignal;
}

export interface SoakResult {
  seed: number;
  minutes: number;
  startedAt: number;
  endedAt: number;
  faults: FaultRecord[];
  failovers: ReturnType<typeof judgeFailovers>;
  splitBrain: ReturnType<typeof judgeSplitBrain>;
  events: ReturnType<typeof judgeEvents> & { stored: number; chain: { ok: boolean; checked?: number; problem?: string } };
  outages: { byKind: Record<string, { faults: number; failedProbes: number; longestMs: number }>; unexplained: ReturnType<typeof outages>; probes: number; failedProbes: number };
  memory: ReturnType<typeof memoryTrends>;
  unexpectedRestarts: Array<{ director: string; at: number }>;
  notSteady: Array<{ after: FaultKind; at: number; holders: Record<string, string[]> }>;
  table: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SAMPLE_MS = 10_000;

/** A probe as kept for the run: who answered, or why it failed (short). */
const keepProbe = (p: Probe): Probe => ({ vip: p.vip, at: p.at, ok: p.ok, ...(p.by ? { by: p.by } : {}), ...(p.err ? { err: p.err.slice(0, 40) } : {}) });

/** Who answered the VIP before an outage and after it, and why its probes failed. */
function describeOutage(probes: Probe[], o: { vip: string; from: number; ms: number }): string {
  const mine = probes.filter((p) => p.vip === o.vip);
  const before = mine.filter((p) => p.ok && p.at < o.from).at(-1)?.by ?? '?';
  const after = mine.find((p) => p.ok && p.at >= o.from + o.ms)?.by ?? '?';
  const errs = new Map<string, number>();
  for (const p of mine) if (!p.ok && p.at >= o.from && p.at < o.from + o.ms) errs.set(p.err ?? '?', (errs.get(p.err ?? '?') ?? 0) + 1);
  return `answered by ${before} before, ${after} after; ${[...errs].map(([e, n]) => `${e}×${n}`).join(' ')}`;
}

/** The director each VIP must be on when nothing is wrong: the highest managed priority. */
function preferred(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of CLUSTERS) {
    for (const i of Object.values(c.instances)) {
      out[i.vip.split('/')[0]!] = [...c.directors].sort((a, b) => i.priorities[b]! - i.priorities[a]!)[0]!;
    }
  }
  return out;
}

/** Inodes of the TCP sockets in the process's network namespace whose remote port is `port`. */
function socketInodesTo(pid: number, port: number): Set<string> {
  const out = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …", ports in hex.
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && Number.parseInt(f[2]!.split(':')[1]!, 16) === port) out.add(f[9]!);
    }
  }
  return out;
}

function procSample(proc: string, pid: number, at: number): MemSample | undefined {
  try {
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (!rss) return undefined;
    const fds = readdirSync(`/proc/${pid}/fd`);
    const db = socketInodesTo(pid, PG_PROXY_PORT);
    let dbConns = 0;
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && db.has(inode)) dbConns++;
      } catch {
        // closed between the listing and the readlink
      }
    }
    return { proc, at, rssKb: Number(rss), fds: fds.length, dbConns };
  } catch {
    return undefined;
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const quietMs = o.quietMs ?? 20_000;
  const lab = new SoakLab({ ...(o.prefix ? { prefix: o.prefix } : {}), log });
  const faults: FaultRecord[] = [];
  const probes: Probe[] = [];
  const mem: MemSample[] = [];
  const unexpectedRestarts: SoakResult['unexpectedRestarts'] = [];
  const notSteady: SoakResult['notSteady'] = [];
  const want = preferred();
  const timers: NodeJS.Timeout[] = [];
  try {
    await lab.build();
    const steady = async (timeoutMs: number): Promise<Record<string, string[]> | undefined> => {
      const until = Date.now() + timeoutMs;
      let holders: Record<string, string[]> = {};
      let good = 0;
      while (Date.now() < until) {
        holders = lab.holders();
        let ok = DIRECTORS.every((d) => lab.roots[d]!.agentPid()) && Object.entries(want).every(([vip, d]) => holders[vip]?.length === 1 && holders[vip]![0] === d);
        if (ok) {
          // And the control plane stores every agent's reports again (the 60-minute run of
          // 2026-12-05 had VIPs in place while no report was acked for five minutes).
          const ages = await lab.reportAges();
          const stale = DIRECTORS.filter((d) => !((ages?.[d] ?? Infinity) < REPORT_STALE_S));
          if (stale.length) {
            ok = false;
            holders = { ...holders, 'reports not stored': stale.map((d) => `${d}: ${ages?.[d] === undefined ? 'no answer' : `${Math.round(ages[d]!)} s`}`) };
          }
        }
        // Twice in a row a second apart: not a moment between two transitions.
        good = ok ? good + 1 : 0;
        if (good >= 2) return undefined;
        await sleep(1000);
      }
      return holders;
    };
    const first = await steady(120_000);
    if (first) throw new Error(`the lab never became steady: ${JSON.stringify(first)}`);
    const startedAt = Date.now();
    log(`soak: steady; ${o.minutes} min of faults, seed ${o.seed}`);

    await lab.client.call('start', CLUSTERS.flatMap((c) => c.serves), 250, 1000);
    timers.push(setInterval(() => {
      void lab.client.call<Probe[]>('take').then((ps) => {
        for (const p of ps) probes.push(keepProbe(p));
      }, () => undefined);
    }, 2000));
    const pids: Record<string, number | undefined> = Object.fromEntries(DIRECTORS.map((d) => [d, lab.roots[d]!.agentPid()]));
    const sample = () => {
      const at = Date.now();
      for (const d of DIRECTORS) {
        const pid = lab.roots[d]!.agentPid();
        const s = pid ? procSample(`${d}#${pid}`, pid, at) : undefined;
        if (s) mem.push(s);
      }
      const cp = lab.cpPid();
      const s = cp ? procSample(`control-plane#${cp}`, cp, at) : undefined;
      if (s) mem.push(s);
    };
    sample();
    timers.push(setInterval(sample, SAMPLE_MS));

    await sleep(quietMs);
    const r = seeded(o.seed);
    const kinds = o.kinds ?? [...FAULT_KINDS];
    const defs = FAULTS.filter((f) => kinds.includes(f.kind));
    const deadline = startedAt + o.minutes * 60_000 - quietMs;
    let deck: typeof defs = [];
    while (Date.now() < deadline && !o.signal?.aborted) {
      if (deck.length === 0) {
        deck = [...defs];
        for (let i = deck.length - 1; i > 0; i--) { const j = r.int(0, i); [deck[i], deck[j]] = [deck[j]!, deck[i]!]; }
      }
      const def = deck.shift()!;
      const start = Date.now();
      let rec: FaultRecord;
      try {
        const outcome = await def.run(lab, r);
        rec = { kind: def.kind, ...outcome, start, end: Date.now(), steadyAt: 0 };
      } catch (e) {
        rec = { kind: def.kind, target: '?', disruptive: true, victims: [], splitBrain: false, restarted: [], start, end: Date.now(), steadyAt: 0, error: (e as Error).message.slice(0, 500) };
        log(`soak: ${def.kind} failed: ${rec.error}`);
      }
      const stuck = await steady(90_000);
      rec.steadyAt = Date.now();
      if (stuck) {
        notSteady.push({ after: def.kind, at: rec.steadyAt, holders: stuck });
        log(`soak: not steady 90 s after ${def.kind}: ${JSON.stringify(stuck)}`);
      }
      for (const d of DIRECTORS) {
        const pid = lab.roots[d]!.agentPid();
        if (pid !== pids[d] && !rec.restarted.includes(d)) unexpectedRestarts.push({ director: d, at: rec.steadyAt });
        pids[d] = pid;
      }
      faults.push(rec);
      log(`soak: ${new Date(start).toISOString()} ${def.kind} ${rec.target}${rec.note ? ` (${rec.note})` : ''}: ${rec.end - start} ms, steady after ${rec.steadyAt - rec.end} ms`);
      await sleep(3000);
    }
    if (o.signal?.aborted) log('soak: stopped early (interrupted); judging what ran');
    await sleep(quietMs);

    // Everything delivered before judging: each outbox drains once the control plane is reachable.
    for (let i = 0; i < 120; i++) {
      if (DIRECTORS.every((d) => { const s = lab.outboxState(d); return s && s.acked === s.last; })) break;
      await sleep(500);
    }
    for (const t of timers) clearInterval(t);
    sample();
    await lab.client.call('stop');
    for (const p of await lab.client.call<Probe[]>('take')) probes.push(keepProbe(p));
    const endedAt = Date.now();

    // What the control plane stored.
    const clusterName = Object.fromEntries(Object.entries(lab.clusterIds).map(([n, id]) => [id, n]));
    const failovers: FailoverRecord[] = [];
    for (let until: string | undefined; ;) {
      const q = `/v1/failovers?limit=1000&since=${new Date(startedAt - 60_000).toISOString()}${until ? `&until=${until}` : ''}`;
      const page = (await lab.apiOk<{ items: FailoverRecord[] }>('GET', q)).items;
      for (const f of page) if (!failovers.some((x) => x.eventId === f.eventId)) failovers.push(f);
      if (page.length < 1000) break;
      until = new Date(Date.parse(page[page.length - 1]!.at) - 1).toISOString();
    }
    const sb: SplitBrainEvent[] = [];
    for (const kind of ['vrrp.split_brain', 'vrrp.split_brain_resolved'] as const) {
      for (let cursor: string | null = null; ;) {
        const page: { items: Array<{ clusterId: string; instance: string; receivedAt: string }>; nextCursor: string | null } = await lab.apiOk('GET', `/v1/events?kind=${kind}&order=asc&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        for (const e of page.items) sb.push({ kind, cluster: clusterName[e.clusterId] ?? e.clusterId, instance: e.instance, receivedAt: e.receivedAt });
        cursor = page.nextCursor;
        if (!cursor) break;
      }
    }
    // Every split-brain report, with the faults whose window holds it: the judgement counts
    // them, this says which they were (a stray one is a defect to find).
    for (const e of sb.filter((x) => x.kind === 'vrrp.split_brain')) {
      const t = Date.parse(e.receivedAt);
      const during = faults.filter((f) => { const [a, b] = splitWindowOf(f); return t >= a && t <= b; }).map((f) => `${f.kind} ${f.target ?? ''} (+${t - f.start} ms${f.splitBrain ? ', splits' : f.secondMaster ? ', second master' : ''})`);
      log(`soak: split brain ${e.cluster}/${e.instance} at ${e.receivedAt} during ${during.join('; ') || 'no fault'}`);
    }
    const rows = lab.pg.sql(lab.pg.primary, "select d.name, e.source_seq from events e join directors d on e.source = 'director:' || d.id::text where e.source_seq is not null");
    const stored = new Map<string, number[]>(DIRECTORS.map((d) => [d, []]));
    for (const line of rows.split('\n').filter(Boolean)) {
      const [name, seq] = line.split('|');
      stored.get(name!)?.push(Number(seq));
    }
    const seqs: SeqRecord[] = DIRECTORS.map((d) => {
      const s = lab.outboxState(d) ?? { acked: 0, last: 0 };
      return { director: d, outboxLast: s.last, outboxAcked: s.acked, stored: stored.get(d) ?? [] };
    });
    const total = Number(lab.pg.sql(lab.pg.primary, 'select count(*) from events'));
    const chainRes = await lab.api('GET', '/v1/events/verify?full=true', undefined, 12_000);
    const chainBody = chainRes.body as { ok?: boolean; checked?: number; problem?: string } | null;
    const chain = { ok: chainBody?.ok === true, ...(chainBody?.checked !== undefined ? { checked: chainBody.checked } : {}), ...(chainBody?.problem ? { problem: chainBody.problem } : { ...(chainRes.status !== 200 ? { problem: `${chainRes.status} ${chainRes.text ?? JSON.stringify(chainRes.body)}` } : {}) }) };

    const list = outages(probes);
    const { byFault, unexplained } = attributeOutages(faults, list);
    const byKind: SoakResult['outages']['byKind'] = {};
    for (const f of faults) {
      const k = (byKind[f.kind] ??= { faults: 0, failedProbes: 0, longestMs: 0 });
      k.faults++;
      for (const x of byFault.get(f) ?? []) {
        k.failedProbes += x.probes;
        k.longestMs = Math.max(k.longestMs, x.ms);
        log(`soak: outage ${x.vip} in ${f.kind} ${f.target ?? ''}: from +${x.from - f.start} ms (fault ended +${f.end - f.start}), ${x.ms} ms, ${x.probes} probes failed; ${describeOutage(probes, x)}`);
      }
    }
    const result: Omit<SoakResult, 'table'> = {
      seed: o.seed, minutes: o.minutes, startedAt, endedAt, faults,
      failovers: judgeFailovers(faults, failovers, startedAt),
      splitBrain: judgeSplitBrain(faults, sb, masterDownMs(100), ADVERT_MS),
      events: { ...judgeEvents(seqs), stored: total, chain },
      outages: { byKind, unexplained, probes: probes.length, failedProbes: probes.filter((p) => !p.ok).length },
      // Warm-up: the first 2 minutes of each process run (or a fifth of a short run).
      memory: memoryTrends(mem, Math.min(120_000, (o.minutes * 60_000) / 5)),
      unexpectedRestarts, notSteady,
    };
    return { ...result, table: formatReport(result, { advertMs: ADVERT_MS, reportIntervalMs: REPORT_INTERVAL_MS, masterDownMs: masterDownMs(100) }) };
  } catch (e) {
    log(`soak: failed: ${(e as Error).stack}`);
    log(`control plane: ${lab.logTail('control-plane')}`);
    for (const d of DIRECTORS) if (lab.roots[d]) log(`${d}: ${lab.roots[d]!.log().slice(-1500)}`);
    throw e;
  } finally {
    for (const t of timers) clearInterval(t);
    await lab.destroy();
  }
}
