/**
 * Contract of {@link Announcer}: a GARP / unsolicited NA sent on host A's `ifname` is seen on the
 * segment by another host with the right sender, target and flags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Announcer } from '#agent/os/ports.ts';

/** An announcement as observed on the wire by another host. */
export interface ObservedAnnouncement {
  kind: 'garp' | 'na';
  ip: string;
  mac: string;
  router?: boolean;
}

export interface AnnouncerLab {
  announcer: Announcer;
  ifname: string;
  /** Hardware address of the announcing interface. */
  mac: string;
  /** Waits for an announcement on the segment matching `pred`. */
  observe(pred: (a: ObservedAnnouncement) => boolean, timeoutMs?: number): Promise<ObservedAnnouncement>;
  close(): Promise<void>;
}

export function runAnnouncerContract({ make }: { make: () => Promise<AnnouncerLab> }): void {
  describe('Announcer contract', () => {
    let lab: AnnouncerLab;
    beforeAll(async () => {
      lab = await make();
    });
    afterAll(async () => {
      await lab?.close();
    });

    it('a gratuitous ARP announces the VIP at the interface MAC', async () => {
      const seen = lab.observe((a) => a.kind === 'garp' && a.ip === '198.51.100.10');
      expect(await lab.announcer.garp(lab.ifname, '198.51.100.10')).toMatchObject({ ok: true });
      expect(await seen).toMatchObject({ mac: lab.mac });
    });

    it('a gratuitous ARP can carry a virtual MAC', async () => {
      const vmac = '00:00:5e:00:01:33';
      const seen = lab.observe((a) => a.kind === 'garp' && a.ip === '198.51.100.11');
      expect(await lab.announcer.garp(lab.ifname, '198.51.100.11', { mac: vmac })).toMatchObject({ ok: true });
      expect(await seen).toMatchObject({ mac: vmac });
    });

    it('an unsolicited NA announces the IPv6 VIP with its link-layer address', async () => {
      const seen = lab.observe((a) => a.kind === 'na' && a.ip === '2001:db8:ffff::10');
      expect(await lab.announcer.unsolicitedNa(lab.ifname, '2001:db8:ffff::10')).toMatchObject({ ok: true });
      expect(await seen).toMatchObject({ mac: lab.mac, router: false });
    });

    it('an unsolicited NA can set the Router flag', async () => {
      const seen = lab.observe((a) => a.kind === 'na' && a.ip === '2001:db8:ffff::11');
      expect(await lab.announcer.unsolicitedNa(lab.ifname, '2001:db8:ffff::11', { router: true })).toMatchObject({ ok: true });
      expect(await seen).toMatchObject({ router: true });
    });

    it('a burst announces every item (GARP or NA by family), with one result per item in order', async () => {
      if (!lab.announcer.burst) return; // optional in the port
      const seen = ['198.51.100.20', '2001:db8:ffff::20', '198.51.100.21'].map((ip) => lab.observe((a) => a.ip === ip));
      const r = lab.announcer.burst([{ ifname: lab.ifname, ip: '198.51.100.20' }, { ifname: lab.ifname, ip: '2001:db8:ffff::20' }, { ifname: lab.ifname, ip: '198.51.100.21' }, { ifname: 'nosuchif0', ip: '198.51.100.22' }]);
      expect(r.map((x) => x.ok)).toEqual([true, true, true, false]);
      expect(r[3]).toMatchObject({ code: 'ENODEV' });
      const got = await Promise.all(seen);
      expect(got.map((a) => [a.kind, a.mac])).toEqual([['garp', lab.mac], ['na', lab.mac], ['garp', lab.mac]]);
    });

    it('a missing interface is an ENODEV result', async () => {
      expect(await lab.announcer.garp('nosuchif0', '198.51.100.12')).toMatchObject({ ok: false, code: 'ENODEV' });
      expect(await lab.announcer.unsolicitedNa('nosuchif0', '2001:db8:ffff::12')).toMatchObject({ ok: false, code: 'ENODEV' });
    });
  });
}
