/**
 * Runs one scenario's fuzz corpus at one implementation (Vigil or keepalived) in its own lab:
 * h1 runs the target, h2 the fuzzer (attacker-child.ts). Both phases, in this order:
 *
 *   backup  the keeper (a fake master at priority 250) holds the target in BACKUP; the corpus's
 *           base advert has priority 0 (accepted, it would make the target take over);
 *   master  the keeper stops and one priority-0 advert hands the target the mastership; the
 *           base advert has priority 254 (accepted, it would make the target yield).
 *
 * Per phase: one probe (the base advert, unmutated) must have its RFC effect; then the corpus,
 * split by the oracle into packets it predicts dropped and packets it predicts accepted (the
 * receive checks do not depend on state, so the split changes no verdict): the dropped ones in
 * batches after which nothing may have changed, the accepted ones in batches followed by a
 * restore. For Vigil, after every batch the agent's counters must have moved by exactly what
 * the oracle predicted, reason by reason (keeper adverts counted from the keeper's own tally).
 * For keepalived, a marker after every packet splits its log into per-packet verdicts.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestControl } from '#agent/runtime/control.ts';
import { Director, type Impl } from '#test/support/director.ts';
import { createLab, type LabHost, type NetnsLab, type RpcChild } from '#test/support/netns.ts';
import type { Frame } from './attacker-child.ts';
import { basePriority, generateCorpus, marker, validAdvert, type FuzzContext, type FuzzPacket, type Phase } from './corpus.ts';
import { classify, segments, type KaVerdict } from './keepalived-log.ts';
import { fateOf, type Fate } from './oracle.ts';
import { KEEPER, TARGET, type Scenario } from './scenario.ts';

export interface PacketResult {
  phase: Phase;
  packet: FuzzPacket;
  /** The oracle's prediction (for Vigil: checked against the counters). */
  fate: Fate;
  /** keepalived runs only. */
  ka?: KaVerdict;
}

export interface PhaseLedger {
  sent: number;
  accepted: number;
  drops: Record<string, number>;
  kernel: Record<string, number>;
}

export interface RunResult {
  impl: Impl;
  results: PacketResult[];
  ledgers: Record<Phase, PhaseLedger>;
  /** Everything that went against the rules, in words; the test asserts it is empty. */
  problems: string[];
  /** Controls (keeper, restores, probes) sent besides the corpus. */
  controls: number;
  stillUp: boolean;
  elapsedMs: number;
  /** Vigil: the instance's counters at the end, as `vigil status`, its JSON and /metrics all showed them. */
  finalCounters?: { advertsRx: number; drops: Record<string, number> };
}

interface InstanceStatus {
  state: string;
  vipsHeld: boolean;
  counters: { advertsRx: number; transitions: number; drops: Record<string, number> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const VIGIL = fileURLToPath(new URL('../../../agent/bin/vigil.mjs', import.meta.url));
const METRICS_PORT = 9650;
const DROPPED_BATCH = 100;
const ACCEPTED_BATCH = 30;
const KA_SLICE = 20;

/** The seed of one scenario's phase, so each corpus is reproducible on its own. */
export function phaseSeed(seed: number, scenario: Scenario, phase: Phase): number {
  let h = seed >>> 0;
  for (const c of `${scenario.vrid}/${phase}`) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  return h;
}

export async function runImpl(impl: Impl, scenario: Scenario, seed: number, perPhase: number): Promise<RunResult> {
  const t0 = Date.now();
  const lab = await createLab({ hosts: 2 });
  let director: Director | undefined;
  let fuzzer: RpcChild | undefined;
  const problems: string[] = [];
  const results: PacketResult[] = [];
  const ledgers = {} as Record<Phase, PhaseLedger>;
  let controls = 0;
  let stillUp = false;
  let finalCounters: RunResult['finalCounters'];
  try {
    const [target, attacker] = [lab.hosts[0]!, lab.hosts[1]!];
    const targetMac = (await lab.ip(target.ns, '-br', 'link', 'show', 'eth0')).split(/\s+/)[2]!;
    const linkLocal = async (h: LabHost) => /fe80::[0-9a-f:]+/.exec(await lab.ip(h.ns, '-6', '-br', 'addr', 'show', 'eth0'))![0];
    const base = { scenario, targetMac, targetLinkLocal: await linkLocal(target), fuzzerLinkLocal: await linkLocal(attacker) };
    const ctx = (phase: Phase): FuzzContext => ({ ...base, phase });
    fuzzer = await lab.serve(attacker.ns, 'test/net/vrrp-fuzz/attacker-child.ts');
    await fuzzer.call('open', 'eth0');
    const t = new Target(impl, lab, target, scenario, fuzzer);
    const send = async (frames: Frame[]) => {
      const r = await fuzzer!.call<{ sent: number; errors: number[] }>('send', frames);
      if (r.errors.length) throw new Error(`fuzzer: ${r.errors.length} sends failed (${r.errors.slice(0, 3).join(', ')})`);
    };
    const ctl = (c: FuzzContext, o: Parameters<typeof validAdvert>[1]) => { controls++; return validAdvert(c, o).frames; };

    // A backup learnt whatever interval the last advert it accepted had (v3): teach it the
    // configured one, then hand it the mastership with priority 0 (Skew_Time).
    const toMaster = async (c: FuzzContext) => {
      await send([...ctl(c, { priority: KEEPER.priority, intervalMs: scenario.advertIntervalMs }), ...ctl(c, { priority: 0 })]);
      await t.waitState('MASTER', 8000);
    };

    // Keeper first, then the target: it starts, and stays, BACKUP.
    // The keeper advertises every 250 ms, and (VRRPv3) a Max Adver Int of at least 1 s, which a
    // v3 backup adopts (RFC 5798 §6.4.2): its Master_Down_Interval stays above 3 s even at
    // advert_int 0.1, so pausing the keeper around a counter read on a loaded machine cannot
    // make it take over. (keepalived reads one packet per turn of its loop: a 0.32 s timer let
    // a burst of corpus packets hold the keeper's advert back long enough for that.)
    const keeperPeriod = 250;
    const keeperInterval = scenario.version === 3 ? Math.max(scenario.advertIntervalMs, 1000) : scenario.advertIntervalMs;
    await fuzzer.call('keeperStart', validAdvert(ctx('backup'), { priority: KEEPER.priority, intervalMs: keeperInterval }).frames[0], keeperPeriod);
    director = new Director(lab, target, impl, {
      routerId: `fuzz-${impl}`, instances: [{ ...scenario.instance, state: 'BACKUP' }],
      ...(impl === 'vigil' ? { agentArgs: ['--metrics-listen', `127.0.0.1:${METRICS_PORT}`] } : {}),
    });
    t.director = director;
    director.start();
    await t.waitStarted(15_000);

    const oracleTarget = (phase: Phase) => ({ scenario, ownAddresses: [TARGET.ipv4, TARGET.ipv6, base.targetLinkLocal], vipsHeld: phase === 'master' });
    const runPhase = async (phase: Phase) => {
      const c = ctx(phase);
      const ledger: PhaseLedger = { sent: 0, accepted: 0, drops: {}, kernel: {} };
      ledgers[phase] = ledger;
      const restore = async () => {
        if (phase === 'master') await toMaster(c);
        else {
          // The keeper's next advert makes a master that took over yield, and teaches a backup
          // that adopted a corpus advert's interval (v3) the keeper's 1 s again.
          await t.waitState('BACKUP', 8000);
          await sleep(2 * keeperPeriod);
          await t.waitState('BACKUP', 8000);
        }
      };

      // The probe: the base advert alone has its RFC effect (at a backup with the keeper
      // paused, or its next advert would restart the down timer before Skew_Time ends).
      const probe = validAdvert(c, { priority: basePriority(phase), from: 'base' });
      controls++;
      if (phase === 'master') {
        await send(probe.frames);
        await t.waitState('BACKUP', 3000).catch((e: Error) => problems.push(`${phase} probe: priority 254 did not make the master yield: ${e.message}`));
      } else {
        await fuzzer!.call('keeperPause');
        await send(probe.frames);
        await t.waitState('MASTER', 3000).catch((e: Error) => problems.push(`${phase} probe: priority 0 did not make the backup take over: ${e.message}`));
        await fuzzer!.call('keeperResume');
      }
      await restore();

      const corpus = generateCorpus(c, phaseSeed(seed, scenario, phase), perPhase);
      const fates = corpus.map((p) => fateOf(oracleTarget(phase), p.ip));
      const idx = corpus.map((_, i) => i);
      const dropped = idx.filter((i) => !(fates[i]!.stage === 'counted' && (fates[i] as { verdict: string }).verdict === 'accepted'));
      const accepted = idx.filter((i) => !dropped.includes(i));
      for (const i of idx) {
        const f = fates[i]!;
        ledger.sent++;
        if (f.stage === 'kernel') ledger.kernel[f.why] = (ledger.kernel[f.why] ?? 0) + 1;
        else if (f.verdict === 'accepted') ledger.accepted++;
        else ledger.drops[f.verdict] = (ledger.drops[f.verdict] ?? 0) + 1;
      }
      const kaVerdicts = new Map<number, KaVerdict>();
      const batches: Array<{ ids: number[]; accepted: boolean }> = [];
      for (let i = 0; i < dropped.length; i += DROPPED_BATCH) batches.push({ ids: dropped.slice(i, i + DROPPED_BATCH), accepted: false });
      // An IPv4 packet from a VIP reaches a backup only while it does not hold the VIP (Linux
      // drops a packet from one of its own addresses): sent alone, it cannot race a takeover
      // caused by an earlier packet of its batch.
      const sensitive = (i: number) => scenario.family === 4 && corpus[i]!.tags.some((t) => t.startsWith('src-vip'));
      for (const i of accepted.filter(sensitive)) batches.push({ ids: [i], accepted: true });
      const rest = accepted.filter((i) => !sensitive(i));
      for (let i = 0; i < rest.length; i += ACCEPTED_BATCH) batches.push({ ids: rest.slice(i, i + ACCEPTED_BATCH), accepted: true });
      for (const b of batches) {
        // Start every batch from the phase's steady state, never from a transient.
        await t.waitState(phase === 'master' ? 'MASTER' : 'BACKUP', 8000);
        const r = await t.batch(c, b.ids.map((i) => corpus[i]!), b.ids.map((i) => fates[i]!), b.accepted, send);
        problems.push(...r.problems.map((p) => `${phase}: ${p}`));
        r.ka?.forEach((v, k) => kaVerdicts.set(b.ids[k]!, v));
        // keepalived may accept what Vigil drops (the known differences): restore after those too.
        if (b.accepted || r.ka?.some((v) => v.kind === 'accepted')) await restore();
      }
      for (const i of idx) results.push({ phase, packet: corpus[i]!, fate: fates[i]!, ...(kaVerdicts.has(i) ? { ka: kaVerdicts.get(i)! } : {}) });
    };

    await runPhase('backup');
    controls += await fuzzer.call<number>('keeperStop');
    await toMaster(ctx('master'));
    await runPhase('master');
    stillUp = await t.alive();
    if (!stillUp) problems.push(`${impl} is no longer running at the end:\n${director.logs().slice(-2000)}`);
    if (impl === 'vigil' && stillUp) {
      const s = await t.surfaces();
      finalCounters = s.counters;
      problems.push(...s.problems);
    }
  } catch (err) {
    problems.push(`harness: ${(err as Error).stack ?? String(err)}\n${director?.logs().slice(-3000) ?? ''}`);
  } finally {
    await fuzzer?.call('shutdown').catch(() => {});
    await director?.destroy().catch(() => {});
    await lab.destroy();
  }
  return { impl, results, ledgers, problems, controls, stillUp, elapsedMs: Date.now() - t0, ...(finalCounters ? { finalCounters } : {}) };
}

/** The target as the harness sees it: state, counters (Vigil), verdicts (keepalived). */
class Target {
  director!: Director;
  private readonly vip: string;

  constructor(readonly impl: Impl, readonly lab: NetnsLab, readonly host: LabHost, readonly scenario: Scenario, readonly fuzzer: RpcChild) {
    this.vip = scenario.vips[scenario.vips.length - 1]!;
  }

  async status(): Promise<InstanceStatus> {
    const r = (await requestControl(join(this.director.dir, 'state', 'vigil.sock'), 'status', 3000)) as { instances: InstanceStatus[] };
    return r.instances[0]!;
  }

  async alive(): Promise<boolean> {
    const pid = this.director.pid;
    if (pid === undefined) return false;
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    if (this.impl === 'vigil') return this.status().then(() => true, () => false);
    return true;
  }

  /**
   * The drop counters where an operator reads them: `vigil status` (text), its --json twin
   * (the control socket) and the Prometheus endpoint must show the same numbers.
   */
  async surfaces(): Promise<{ problems: string[]; counters: { advertsRx: number; drops: Record<string, number> } }> {
    const problems: string[] = [];
    const s = await this.status();
    const want = sorted(s.counters.drops);
    const text = await this.lab.exec(this.host.ns, process.execPath, [VIGIL, 'status', '--state-dir', join(this.director.dir, 'state')]);
    const line = /drops (.*)$/m.exec(text.stdout)?.[1] ?? '';
    const shown = sorted(Object.fromEntries(line.split(/\s+/).filter((w) => w.includes('=')).map((w) => [w.split('=')[0]!, Number(w.split('=')[1])])));
    if (JSON.stringify(shown) !== JSON.stringify(want)) problems.push(`vigil status shows drops ${JSON.stringify(shown)}, the agent counts ${JSON.stringify(want)}`);
    const m = await this.lab.exec(this.host.ns, process.execPath, ['-e', `fetch('http://127.0.0.1:${METRICS_PORT}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
    const exported: Record<string, number> = {};
    for (const mm of m.stdout.matchAll(/^vigil_vrrp_dropped_total\{[^}]*reason="([a-z_]+)"\} (\d+)$/gm)) exported[mm[1]!] = Number(mm[2]);
    if (JSON.stringify(sorted(exported)) !== JSON.stringify(want)) problems.push(`/metrics exports drops ${JSON.stringify(sorted(exported))}, the agent counts ${JSON.stringify(want)}`);
    if (!m.stdout.includes(`vigil_vrrp_adverts_received_total{instance="VI_1",vrid="${this.scenario.vrid}"} ${s.counters.advertsRx}`)) problems.push('/metrics does not export the accepted adverts count');
    return { problems, counters: { advertsRx: s.counters.advertsRx, drops: want } };
  }

  /** MASTER/BACKUP from the implementation itself, VIP presence from the kernel. */
  async snapshot(): Promise<{ state: string; vip: boolean; transitions: number }> {
    const vip = await this.director.holdsVip(this.vip);
    if (this.impl === 'vigil') {
      const s = await this.status();
      return { state: s.state, vip, transitions: s.counters.transitions };
    }
    return { state: vip ? 'MASTER' : 'BACKUP', vip, transitions: (this.director.logs().match(/Entering (MASTER|BACKUP) STATE/g) ?? []).length };
  }

  /** Up and BACKUP, by the implementation's own word (an absent VIP proves nothing yet). */
  async waitStarted(timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      if (this.impl === 'keepalived' ? /Entering BACKUP STATE/.test(this.director.logs()) : (await this.status().catch(() => undefined))?.state === 'BACKUP') return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.impl} did not come up BACKUP within ${timeoutMs} ms:\n${this.director.logs().slice(-2000)}`);
      await sleep(50);
    }
  }

  async waitState(state: 'MASTER' | 'BACKUP', timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const s = await this.snapshot().catch(() => undefined);
      if (s && s.state === state && s.vip === (state === 'MASTER')) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.impl} not ${state} after ${timeoutMs} ms (now ${JSON.stringify(s)})`);
      await sleep(20);
    }
  }

  /** Vigil's counters with the keeper paused and everything in flight processed. */
  private async quiet(): Promise<{ keeper: number; s: InstanceStatus }> {
    const keeper = await this.fuzzer.call<number>('keeperPause');
    let s = await this.status();
    for (let i = 0; i < 10; i++) {
      await sleep(15);
      const n = await this.status();
      const same = n.counters.advertsRx === s.counters.advertsRx && JSON.stringify(n.counters.drops) === JSON.stringify(s.counters.drops);
      s = n;
      if (same) break;
    }
    return { keeper, s };
  }

  async batch(c: FuzzContext, packets: FuzzPacket[], fates: Fate[], accepted: boolean, send: (f: Frame[]) => Promise<void>): Promise<{ problems: string[]; ka?: KaVerdict[] }> {
    return this.impl === 'vigil' ? this.vigilBatch(packets, fates, accepted, send) : this.kaBatch(c, packets, accepted, send);
  }

  private async vigilBatch(packets: FuzzPacket[], fates: Fate[], accepted: boolean, send: (f: Frame[]) => Promise<void>): Promise<{ problems: string[] }> {
    const problems: string[] = [];
    const q0 = await this.quiet();
    const snap0 = await this.snapshot();
    await this.fuzzer.call('keeperResume');
    await send(packets.flatMap((p) => p.frames));
    const want: Record<string, number> = {};
    for (const f of fates) if (f.stage === 'counted' && f.verdict !== 'accepted') want[f.verdict] = (want[f.verdict] ?? 0) + 1;
    const wantRx = fates.filter((f) => f.stage === 'counted' && f.verdict === 'accepted').length;
    // Wait until the counters have moved by the expected total (or stop moving), keeper paused.
    const total = (s: InstanceStatus) => s.counters.advertsRx + Object.values(s.counters.drops).reduce((a, b) => a + b, 0);
    const wantTotal = wantRx + Object.values(want).reduce((a, b) => a + b, 0);
    let q1 = await this.quiet();
    const t0 = Date.now();
    while (total(q1.s) - total(q0.s) - (q1.keeper - q0.keeper) < wantTotal && Date.now() - t0 < 3000) {
      await sleep(30);
      q1 = await this.quiet();
    }
    const gotRx = q1.s.counters.advertsRx - q0.s.counters.advertsRx - (q1.keeper - q0.keeper);
    const got: Record<string, number> = {};
    for (const [k, v] of Object.entries(q1.s.counters.drops)) if (v - (q0.s.counters.drops[k] ?? 0) > 0) got[k] = v - (q0.s.counters.drops[k] ?? 0);
    if (gotRx !== wantRx || JSON.stringify(sorted(got)) !== JSON.stringify(sorted(want))) {
      problems.push(`${accepted ? 'accepted' : 'dropped'} batch of ${packets.length}: counters moved by accepted=${gotRx} drops=${JSON.stringify(sorted(got))}, ` +
        `the oracle predicted accepted=${wantRx} drops=${JSON.stringify(sorted(want))}`);
      problems.push(...(await this.bisect(packets, fates, send)));
    }
    if (!accepted) {
      const snap1 = await this.snapshot();
      if (snap1.state !== snap0.state || snap1.vip !== snap0.vip || snap1.transitions !== snap0.transitions) {
        problems.push(`a batch of ${packets.length} packets predicted dropped changed the state: ${JSON.stringify(snap0)} -> ${JSON.stringify(snap1)}`);
      }
    }
    await this.fuzzer.call('keeperResume');
    return { problems };
  }

  /** After a mismatch: each packet alone, to name the ones whose verdict differs. */
  private async bisect(packets: FuzzPacket[], fates: Fate[], send: (f: Frame[]) => Promise<void>): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < packets.length && out.length < 10; i++) {
      const q0 = await this.quiet();
      await this.fuzzer.call('keeperResume');
      await send(packets[i]!.frames);
      await sleep(40);
      const q1 = await this.quiet();
      const rx = q1.s.counters.advertsRx - q0.s.counters.advertsRx - (q1.keeper - q0.keeper);
      const moved = Object.entries(q1.s.counters.drops).filter(([k, v]) => v !== (q0.s.counters.drops[k] ?? 0)).map(([k]) => k);
      const actual = rx > 0 ? 'accepted' : moved.length ? moved.join('+') : 'nothing counted';
      const f = fates[i]!;
      const predicted = f.stage === 'kernel' ? 'nothing counted' : f.verdict;
      if (actual !== predicted) out.push(`  packet ${packets[i]!.id} [${packets[i]!.tags.join(', ')}]: counted ${actual}, predicted ${predicted}${f.stage === 'kernel' ? ` (kernel: ${f.why})` : ''}; ip ${packets[i]!.ip.map(hex).join(' | ')}`);
      await this.fuzzer.call('keeperResume');
    }
    return out;
  }

  private async kaBatch(c: FuzzContext, packets: FuzzPacket[], accepted: boolean, send: (f: Frame[]) => Promise<void>): Promise<{ problems: string[]; ka: KaVerdict[] }> {
    const problems: string[] = [];
    const snap0 = await this.snapshot();
    const m = marker(c).frames;
    // The keeper's adverts are accepted too (silently at a backup, logged at a master): never a corpus verdict.
    const keeper = this.scenario.keeper;
    const ka: KaVerdict[] = [];
    // keepalived reads one advert per VRID per turn of its event loop and logs each: a burst of
    // a hundred packets (and their markers) holds the keeper's next advert back past a 0.1 s
    // instance's Master_Down_Interval and it takes over for a moment. Slices of KA_SLICE,
    // each logged before the next, keep the keeper's adverts flowing.
    for (let at = 0; at < packets.length; at += KA_SLICE) {
      const slice = packets.slice(at, at + KA_SLICE);
      const from = this.director.logs().length;
      await send(slice.flatMap((p) => [...p.frames, ...m]));
      const t0 = Date.now();
      let seg = segments(this.director.logs(), from, slice.length);
      while (!seg && Date.now() - t0 < 8000) {
        await sleep(20);
        seg = segments(this.director.logs(), from, slice.length);
      }
      if (!seg) {
        problems.push(`keepalived logged ${(this.director.logs().slice(from).match(/Received 15/g) ?? []).length} of ${slice.length} markers in 8 s`);
        return { problems, ka };
      }
      ka.push(...seg.groups.map((g) => classify(g.filter((l) => !l.includes(` ${keeper} `) && !l.endsWith(` ${keeper}`)))));
    }
    // A batch keepalived accepted nothing of must change nothing there either.
    if (!accepted && !ka.some((v) => v.kind === 'accepted')) {
      const snap1 = await this.snapshot();
      if (snap1.vip !== snap0.vip || snap1.transitions !== snap0.transitions) {
        problems.push(`(keepalived) a batch of ${packets.length} packets keepalived logged no acceptance for changed its state: ${JSON.stringify(snap0)} -> ${JSON.stringify(snap1)}`);
      }
    }
    return { problems, ka };
  }
}

function sorted(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b)));
}
