/**
 * A backup whose process was stopped (SIGSTOP, a VM paused, a blocked event loop) for longer
 * than the master-down interval must not take over from a master that kept advertising all
 * along: on resume its adverts are waiting in the socket, and they are read before the expired
 * Master_Down_Timer is acted on. Found by the soak (infra/soak): a frozen backup became master
 * for a moment on resume, took the VIP and sent gratuitous ARPs, a failover nobody caused.
 * A stopped master, in contrast, is rightly replaced (its adverts stopped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCapabilities } from '../support/capabilities.ts';
import { Director, type DirectorConf, type Impl } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('frozen backup', ['root', 'netns', 'keepalived']);
const VIP = '192.0.2.120/24';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const conf = (routerId: string, priority: number): DirectorConf => ({ routerId, instances: [{ version: 3, vrid: 61, priority, advertInt: 1, vips: [VIP] }] });

describe.skipIf(!run)('a frozen backup resumes as backup', () => {
  let lab: NetnsLab;
  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.each(['vigil', 'keepalived'] as Impl[])('master %s keeps advertising while the Vigil backup is stopped 6 s; on SIGCONT the backup stays BACKUP', async (masterImpl) => {
    const A = new Director(lab, lab.hosts[0]!, masterImpl, conf('lbA', 150));
    const B = new Director(lab, lab.hosts[1]!, 'vigil', conf('lbB', 100));
    try {
      A.start();
      await A.waitForVip(VIP, true, 30_000);
      B.start();
      for (let t0 = Date.now(); (await B.status().catch(() => undefined))?.instances[0]?.state !== 'BACKUP';) {
        if (Date.now() - t0 > 20_000) throw new Error(`B not BACKUP: ${B.logs().slice(-2000)}`);
        await sleep(100);
      }
      await sleep(2000);
      const before = (await B.status()).instances[0]!.counters;
      // Master-down is 3 × 1 s + skew ≈ 3.6 s: stopped 6 s, its timer is long expired on resume.
      B.signal('SIGSTOP');
      await sleep(6000);
      B.signal('SIGCONT');
      const seen: boolean[] = [];
      for (let i = 0; i < 40; i++) {
        seen.push(await B.holdsVip(VIP));
        await sleep(50);
      }
      const after = (await B.status()).instances[0]!;
      expect(seen.some(Boolean)).toBe(false);
      expect(after.state).toBe('BACKUP');
      expect(after.counters.advertsTx).toBe(before.advertsTx);
      expect(await A.holdsVip(VIP)).toBe(true);
      if (masterImpl === 'vigil') {
        // A stopped master, by contrast, is replaced: its adverts really stopped.
        A.signal('SIGSTOP');
        await B.waitForVip(VIP, true, 8000);
        A.signal('SIGCONT');
      }
    } finally {
      await A.destroy();
      await B.destroy();
    }
  }, 120_000);
});
