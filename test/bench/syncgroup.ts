/**
 * `npm run bench -- syncgroup`: how far apart the members of a sync group are announced when the
 * group takes over, Vigil and keepalived on the same keepalived.conf in one run. Three hosts on a
 * bridge: directors A (150) and B (100) run a vrrp_sync_group of three VRRPv3 instances at
 * advert_int 0.1 (one VIP each), a third host captures ARP with kernel timestamps (tcpdump -tt).
 *
 * Each trial crashes the master (kill -9: B's group takes over by its Master_Down_Timer) and
 * restarts it (A's group preempts back). For each takeover: the time from the group's first
 * gratuitous ARP to the first one of its last VIP, i.e. how long after the first VIP answers the
 * whole group answers (LVS-NAT needs the outside VIP and the inside gateway together). Target
 * for Vigil: < 5 ms. Prints median and max per implementation. `--trials=N` (default 5).
 */
import { cpus, loadavg } from 'node:os';
import { ArpCapture } from '../support/arp-capture.ts';
import { Director, type DirectorConf, type Impl } from '../support/director.ts';
import { createLab } from '../support/netns.ts';
import { median } from './capture.ts';

const VIPS = ['192.0.2.171', '192.0.2.172', '192.0.2.173'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const conf = (routerId: string, priority: number): DirectorConf => ({
  routerId,
  syncGroups: { VG: VIPS.map((_, i) => `VI_${i + 1}`) },
  instances: VIPS.map((v, i) => ({ name: `VI_${i + 1}`, version: 3, vrid: 71 + i, advertInt: 0.1, priority, vips: [`${v}/24`] })),
});

async function waitAll(d: Director, present: boolean, ms: number): Promise<void> {
  for (const v of VIPS) await d.waitForVip(v, present, ms);
}

async function trials(impl: Impl, n: number): Promise<Record<'crash' | 'preempt' | 'crashAtSender' | 'preemptAtSender', number[]>> {
  const lab = await createLab({ hosts: 3 });
  const cap = await ArpCapture.start(lab.hosts[2]!.ns);
  const capA = await ArpCapture.start(lab.hosts[0]!.ns);
  const capB = await ArpCapture.start(lab.hosts[1]!.ns);
  const A = new Director(lab, lab.hosts[0]!, impl, conf('lbA', 150));
  const B = new Director(lab, lab.hosts[1]!, impl, conf('lbB', 100));
  const out = { crash: [] as number[], preempt: [] as number[], crashAtSender: [] as number[], preemptAtSender: [] as number[] };
  const mac = async (i: number) => /link\/ether (\S+)/.exec(await lab.ip(lab.hosts[i]!.ns, 'link', 'show', 'eth0'))![1]!;
  const [macA, macB] = [await mac(0), await mac(1)];
  try {
    B.start();
    await waitAll(B, true, 10_000);
    A.start();
    await waitAll(A, true, 10_000);
    await waitAll(B, false, 5000);
    for (let i = 0; i < n; i++) {
      await sleep(1000);
      let from = Date.now();
      await A.crash();
      await waitAll(B, true, 5000);
      await sleep(300);
      out.crash.push(cap.spread(VIPS, from, macB).allAnnouncedMs);
      out.crashAtSender.push(capB.spread(VIPS, from, macB).allAnnouncedMs);
      // A crash leaves A's VIPs configured: the restarted agent removes them first (state dir).
      from = Date.now();
      A.start();
      await waitAll(B, false, 10_000);
      await waitAll(A, true, 5000);
      await sleep(300);
      out.preempt.push(cap.spread(VIPS, from, macA).allAnnouncedMs);
      out.preemptAtSender.push(capA.spread(VIPS, from, macA).allAnnouncedMs);
      if (process.env.VIGIL_BENCH_DEBUG) console.log(`${impl} trial ${i}: crash ${out.crash.at(-1)!.toFixed(2)} ms, preempt ${out.preempt.at(-1)!.toFixed(2)} ms`);
    }
  } finally {
    cap.stop();
    capA.stop();
    capB.stop();
    await A.destroy();
    await B.destroy();
    await lab.destroy();
  }
  return out;
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args.find((a) => a.startsWith('--trials='))?.split('=')[1] ?? 5);
  console.log(`sync group of ${VIPS.length} (VRRPv3, advert_int 0.1), ${n} crash takeovers + ${n} preempts each; first GARP of the group -> first GARP of its last VIP`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  console.log('impl        takeover   seen on          median ms   max ms');
  for (const impl of ['vigil', 'keepalived'] as const) {
    const r = await trials(impl, n);
    for (const [what, where, xs] of [['crash', 'a third host', r.crash], ['crash', 'the sender', r.crashAtSender], ['preempt', 'a third host', r.preempt], ['preempt', 'the sender', r.preemptAtSender]] as const) {
      const ok = xs.filter((x) => Number.isFinite(x));
      console.log(`${impl.padEnd(11)} ${what.padEnd(10)} ${where.padEnd(14)} ${median(ok).toFixed(2).padStart(9)} ${Math.max(...ok).toFixed(2).padStart(8)}${ok.length < xs.length ? `   (${xs.length - ok.length} takeovers with a VIP never announced)` : ''}`);
    }
  }
}
