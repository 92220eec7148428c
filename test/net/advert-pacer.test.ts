/**
 * The native advert pacer on a real kernel: a socket in one namespace paces adverts, a capture
 * on another host timestamps them. They leave at the scheduled instants (first one at the given
 * time, then every period, drift-free), stop at once on unpace, and stop when the socket closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKETIME_LIB, requireCapabilities } from '../support/capabilities.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';
import { Capture, pct } from '../bench/capture.ts';

const run = requireCapabilities('advert pacer', ['root', 'netns', 'tcpdump', 'faketime']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!run)('advert pacer (native thread) on a real kernel', () => {
  let lab: NetnsLab;
  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
  });
  afterAll(async () => lab?.destroy());

  it('sends on schedule, stops on unpace and on close', async () => {
    const cap = new Capture(lab.hosts[1]!.ns, lab.hosts[0]!.ipv4);
    try {
      await sleep(300); // tcpdump attached
      const r = await lab.exec(lab.hosts[0]!.ns, process.execPath, ['--import', 'tsx', 'test/net/pacer-child.ts'], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      await sleep(200);
      const [paced, closed] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const phase1 = cap.stamps.filter((t) => t < paced!.stoppedAt! + 5);
      // 1.2 s after a 200 ms lead at 50 ms: 20 adverts (±1 at the edges), counted by the pacer too.
      expect(phase1.length).toBeGreaterThanOrEqual(19);
      expect(phase1.length).toBeLessThanOrEqual(21);
      expect(paced!.sent).toBe(phase1.length);
      expect(Math.abs(phase1[0]! - paced!.firstAt!)).toBeLessThan(2);
      const gaps = phase1.slice(1).map((t, i) => Math.abs(t - phase1[i]! - 50));
      expect(pct(gaps, 50)).toBeLessThan(0.5);
      expect(Math.max(...gaps)).toBeLessThan(5);
      // Drift-free: the last one is where the schedule says, not 20 × (50 + ε) later.
      const k = Math.round((phase1.at(-1)! - phase1[0]!) / 50);
      expect(Math.abs(phase1.at(-1)! - (phase1[0]! + k * 50))).toBeLessThan(2);
      // Nothing between unpace and the second job; nothing after close.
      const between = cap.stamps.filter((t) => t > paced!.stoppedAt! + 5 && t < paced!.stoppedAt! + 290);
      expect(between).toEqual([]);
      const second = cap.stamps.filter((t) => t > paced!.stoppedAt! + 290 && t <= closed!.closedAt! + 5);
      expect(second.length).toBeGreaterThanOrEqual(5);
      expect(cap.stamps.filter((t) => t > closed!.closedAt! + 5)).toEqual([]);
    } finally {
      cap.stop();
    }
  });

  it('does not spin when timed waits do not wait (libfaketime preloaded, as the soak lab skews clocks)', async () => {
    // libfaketime converts a CLOCK_MONOTONIC condition-variable deadline as if it were wall
    // time, so every timed wait returns at once; a real-time thread looping on that took a
    // whole CPU. The pacer notices and sleeps instead, and still sends on schedule.
    const r = await lab.exec(lab.hosts[0]!.ns, 'env', [`LD_PRELOAD=${FAKETIME_LIB}`, 'FAKETIME=+300', 'FAKETIME_DONT_FAKE_MONOTONIC=1', process.execPath, '--import', 'tsx', 'test/net/pacer-child.ts'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const paced = JSON.parse(r.stdout.trim().split('\n')[0]!) as { sent: number; cpuMs: number };
    expect(paced.sent).toBeGreaterThanOrEqual(19);
    expect(paced.sent).toBeLessThanOrEqual(21);
    // 1.2 s of pacing: a spinning pacer used ~1,150 ms of CPU here, a sleeping one ~20 ms.
    expect(paced.cpuMs).toBeLessThan(300);
  });
});
