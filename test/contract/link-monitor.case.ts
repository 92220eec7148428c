/**
 * Contract of {@link LinkMonitor}: the link list, and change notifications for admin down/up and
 * carrier loss. `ifname` starts up and running; the lab can change its admin state and carrier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkMonitor, LinkState } from '#agent/os/ports.ts';
import { unwrap } from './harness.ts';

export interface LinkMonitorLab {
  monitor: LinkMonitor;
  ifname: string;
  setUp(up: boolean): Promise<void>;
  setCarrier(carrier: boolean): Promise<void>;
  close(): Promise<void>;
}

function nextChange(monitor: LinkMonitor, pred: (l: LinkState) => boolean, timeoutMs = 3000): Promise<LinkState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching link change within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = monitor.onChange((l) => {
      if (!pred(l)) return;
      clearTimeout(timer);
      off();
      resolve(l);
    });
  });
}

export function runLinkMonitorContract({ make }: { make: () => Promise<LinkMonitorLab> }): void {
  describe('LinkMonitor contract', () => {
    let lab: LinkMonitorLab;
    beforeAll(async () => {
      lab = await make();
    });
    afterAll(async () => {
      await lab?.close();
    });

    it('lists links with index, state and hardware address', async () => {
      const links = unwrap(await lab.monitor.list());
      const lo = links.find((l) => l.ifname === 'lo');
      const it = links.find((l) => l.ifname === lab.ifname);
      expect(lo).toMatchObject({ ifindex: 1, up: true });
      expect(it).toMatchObject({ up: true, running: true });
      expect(it?.ifindex).toBeGreaterThan(1);
      expect(it?.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    });

    it('reports admin down, then up', async () => {
      const down = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && !l.up);
      await lab.setUp(false);
      expect(await down).toMatchObject({ up: false, running: false });
      const up = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && l.up && l.running);
      await lab.setUp(true);
      expect(await up).toMatchObject({ up: true, running: true });
    });

    it('reports carrier loss as up but not running, and its return', async () => {
      const lost = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && !l.running);
      await lab.setCarrier(false);
      expect(await lost).toMatchObject({ up: true, running: false });
      const back = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && l.running);
      await lab.setCarrier(true);
      expect(await back).toMatchObject({ up: true, running: true });
    });

    it('stops calling a listener once it is removed', async () => {
      const seen: LinkState[] = [];
      const off = lab.monitor.onChange((l) => seen.push(l));
      off();
      const other = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && !l.up);
      await lab.setUp(false);
      await other;
      const back = nextChange(lab.monitor, (l) => l.ifname === lab.ifname && l.running);
      await lab.setUp(true);
      await back;
      expect(seen).toHaveLength(0);
    });
  });
}
