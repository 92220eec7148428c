/**
 * Reload as a true diff, on real kernels, standalone (SIGHUP): a Vigil master with a Vigil or a
 * keepalived 2.2.7 backup. Adding and removing a VIP, changing the priority and adding a
 * track_script change the running instances in place: no transition on either director, the
 * untouched VIP never leaves the master (watched with `ip monitor address`, which sees even a
 * delete-and-add that polling would miss), and a new VIP appears on the master only. A VRID
 * change restarts the instance gracefully. The managed-mode counterpart is in managed.test.ts;
 * the same scenarios on the in-memory OS are agent/src/host/director-host.test.ts.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressWatch } from '../support/addr-watch.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { Director, type DirectorConf, type InstanceConf } from '../support/director.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('reload as a diff', ['root', 'netns', 'keepalived']);

const ECHO_SERVER = `require('node:net').createServer((c) => c.end('ok')).listen(7777, '0.0.0.0');
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;

// Connects to argv[1]:7777 every 10 ms (200 ms timeout each) until the file argv[2] exists.
const PROBE_CLIENT = `
const net = require('node:net'); const fs = require('node:fs');
const [host, stop] = process.argv.slice(1); let sent = 0, answered = 0;
function one() { return new Promise((resolve) => {
  sent++; const s = net.connect({ host, port: 7777, timeout: 200 });
  s.on('data', () => { answered++; s.destroy(); resolve(); });
  s.on('timeout', () => { s.destroy(); resolve(); }); s.on('error', () => resolve());
}); }
(async () => { while (!fs.existsSync(stop)) { await one(); await new Promise((r) => setTimeout(r, 10)); }
  console.log(sent + ' sent, ' + answered + ' answered'); })();`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Transitions so far: Vigil's counters, keepalived's "Entering X STATE" log lines. */
async function transitions(d: Director): Promise<number> {
  if (d.impl === 'keepalived') return (d.logs().match(/\) Entering (MASTER|BACKUP|FAULT|INIT) STATE/g) ?? []).length;
  const s = await d.status();
  return s.instances.reduce((n, i) => n + (i.counters as unknown as { transitions: number }).transitions, 0);
}

describe.skipIf(!run)('reload as a diff in network namespaces (SIGHUP)', () => {
  let lab: NetnsLab;
  let work: string;
  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    work = mkdtempSync(join(tmpdir(), 'vigil-reload-'));
    writeFileSync(join(work, 'ok.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(work, 'ok.sh'), 0o755);
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  interface Step { vips: string[]; priority?: number; script?: boolean; vrid?: number }
  const conf = (routerId: string, prio: number, s: Step, advertInt: number): DirectorConf => {
    const inst: InstanceConf = {
      name: 'VI_1', version: 3, advertInt, vrid: s.vrid ?? 80, priority: routerId === 'lbA' ? (s.priority ?? prio) : prio, vips: s.vips,
      ...(routerId === 'lbA' && s.script ? { trackScripts: ['chk'] } : {}),
    };
    return { routerId, instances: [inst], ...(routerId === 'lbA' && s.script ? { scripts: { chk: { script: join(work, 'ok.sh'), interval: 1, weight: -20 } } } : {}) };
  };

  for (const peer of ['vigil', 'keepalived'] as const) {
    it(`Vigil master, ${peer} backup: VIP add/remove, priority, track_script in place; no transition, the VIP never leaves`, async () => {
      // keepalived's own backup expects every director reloaded within Master_Down_Interval (it
      // drops adverts with another VIP list): 1 s adverts give the two SIGHUPs room.
      const advertInt = peer === 'keepalived' ? 1 : 0.1;
      const A = new Director(lab, lab.hosts[0]!, 'vigil', conf('lbA', 150, { vips: ['192.0.2.180/24'] }, advertInt));
      const B = new Director(lab, lab.hosts[1]!, peer, conf('lbB', 100, { vips: ['192.0.2.180/24'] }, advertInt));
      let watch: AddressWatch | undefined;
      let server: ReturnType<typeof spawn> | undefined;
      try {
        B.start();
        await B.waitForVip('192.0.2.180', true, 8000);
        A.start();
        await A.waitForVip('192.0.2.180', true, 8000);
        await B.waitForVip('192.0.2.180', false, 5000);
        await sleep(500);
        watch = await AddressWatch.start(lab.hosts[0]!.ns);
        const bWatch = await AddressWatch.start(lab.hosts[1]!.ns);
        // A client on a third host opens a TCP connection to the VIP every 10 ms through all four
        // reloads (a listener on the master answers on every address it has).
        server = spawn('ip', ['netns', 'exec', lab.hosts[0]!.ns, process.execPath, '-e', ECHO_SERVER], { stdio: ['pipe', 'ignore', 'ignore'] });
        await sleep(300);
        const stopClient = join(work, `stop-client-${peer}`);
        const pinger = lab.exec(lab.hosts[2]!.ns, process.execPath, ['-e', PROBE_CLIENT, '192.0.2.180', stopClient], { timeoutMs: 180_000 });
        const reload = async (s: Step) => {
          const t = [await transitions(A), await transitions(B)];
          A.writeConf(conf('lbA', 150, s, advertInt));
          B.writeConf(conf('lbB', 100, s, advertInt));
          const at = Date.now();
          B.signal('SIGHUP');
          A.signal('SIGHUP');
          return { t, at };
        };
        const settled = async (t: number[], what: string) => {
          await sleep(advertInt * 4000);
          expect([await transitions(A), await transitions(B)], `${what}: transitions on A, B`).toEqual(t);
          expect(await A.holdsVip('192.0.2.180'), what).toBe(true);
          expect(await B.holdsVip('192.0.2.180'), what).toBe(false);
        };

        // 1. Add a VIP.
        let r = await reload({ vips: ['192.0.2.180/24', '192.0.2.181/24'] });
        await A.waitForVip('192.0.2.181', true, 5000);
        await settled(r.t, 'add a VIP');
        expect(await B.holdsVip('192.0.2.181')).toBe(false);
        expect(watch.added('192.0.2.181', r.at)).toBeDefined();
        expect(bWatch.added('192.0.2.181', r.at)).toBeUndefined();

        // 2. Remove it again.
        r = await reload({ vips: ['192.0.2.180/24'] });
        await A.waitForVip('192.0.2.181', false, 5000);
        await settled(r.t, 'remove a VIP');

        // 3. Change the master's priority (still above the backup's).
        r = await reload({ vips: ['192.0.2.180/24'], priority: 140 });
        await settled(r.t, 'change the priority');
        expect((await A.status()).instances[0]).toMatchObject({ state: 'MASTER', priority: 140 });

        // 4. Add a track_script (it succeeds: the priority stays).
        r = await reload({ vips: ['192.0.2.180/24'], priority: 140, script: true });
        await settled(r.t, 'add a track_script');
        expect((await A.status()).instances[0]!.tracked).toEqual([{ name: 'script:chk', up: true, weight: -20 }]);

        // Through all four reloads the untouched VIP never left the master, not for a moment,
        // and a client pinging it every 10 ms lost nothing.
        expect(watch.deletions('192.0.2.180')).toEqual([]);
        writeFileSync(stopClient, '');
        const probe = await pinger;
        server.kill();
        const m = /(\d+) sent, (\d+) answered/.exec(probe.stdout);
        expect(m, probe.stdout + probe.stderr).not.toBeNull();
        console.log(`VIP continuity through 4 reloads (${peer} peer): ${m![2]}/${m![1]} connections answered`);
        // The client probed all along (at least 2 s of 10 ms probes; the reloads take 3-6 s).
        expect(Number(m![1])).toBeGreaterThan(200);
        expect(Number(m![2])).toBe(Number(m![1]));
        expect(bWatch.events.filter((e) => e.address === '192.0.2.180')).toEqual([]);
        expect(A.logs()).toMatch(/reloaded: VI_1: changed in place \(virtual_ipaddress \+192\.0\.2\.181\/24\)/);
        bWatch.stop();
      } finally {
        server?.kill();
        watch?.stop();
        await A.destroy();
        await B.destroy();
      }
    });
  }

  it('a VRID change restarts the instance: priority 0 first (the backup takes over at once), then the new router', async () => {
    const A = new Director(lab, lab.hosts[0]!, 'vigil', conf('lbA', 150, { vips: ['192.0.2.180/24'] }, 0.1));
    const B = new Director(lab, lab.hosts[1]!, 'vigil', conf('lbB', 100, { vips: ['192.0.2.180/24'] }, 0.1));
    try {
      A.start();
      B.start();
      await A.waitForVip('192.0.2.180', true, 8000);
      await sleep(500);
      A.writeConf(conf('lbA', 150, { vips: ['192.0.2.180/24'], vrid: 81 }, 0.1));
      A.signal('SIGHUP');
      // A left VRID 80 with priority 0: B takes it within Skew_Time, not Master_Down_Interval.
      const took = await B.waitForVip('192.0.2.180', true, 1000);
      expect(took).toBeLessThan(1000);
      expect(A.logs()).toMatch(/VI_1: restarted \(virtual_router_id 80 -> 81\)/);
      expect(A.logs()).toMatch(/"reason":"reload"/);
      // A's VI_1 is now VRID 81, which nobody else runs: it becomes master of that one too.
      await sleep(1000);
      const st = await A.status().catch((e: Error) => { throw new Error(`${e.message}\n${A.logs().slice(-3000)}`); });
      expect(st.instances[0]).toMatchObject({ state: "MASTER", vrid: 81 } as never);
    } finally {
      await A.destroy();
      await B.destroy();
    }
  });
});
