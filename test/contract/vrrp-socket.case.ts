/**
 * Contract of {@link VrrpSocket}: what the runtime relies on, for the fake segment and for raw
 * sockets in network namespaces alike. Three hosts a, b, c share one segment on `ifname`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advert, nextPacket, record, unwrap, type HostUnderTest, type VrrpSocketUnderTest } from './harness.ts';

export interface VrrpSocketLab {
  ifname: string;
  hosts: [HostUnderTest, HostUnderTest, HostUnderTest];
  /** Lets in-flight packets arrive (fake: flush the queue; real: a short wait). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;
const eq = (p: { payload: Uint8Array }, want: Uint8Array) => Buffer.from(p.payload).equals(Buffer.from(want));

export function runVrrpSocketContract({ make }: { make: () => Promise<VrrpSocketLab> }): void {
  describe('VrrpSocket contract', () => {
    let lab: VrrpSocketLab;
    const opened: VrrpSocketUnderTest[] = [];
    const open = async (host: number, options: { family: 4 | 6; multicast?: boolean; sourceAddress?: string }) => {
      const h = lab.hosts[host];
      if (!h) throw new Error(`no host ${host}`);
      const sock = unwrap(await h.open({ ifname: lab.ifname, ...options }));
      opened.push(sock);
      return sock;
    };

    beforeAll(async () => {
      lab = await make();
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
      await lab?.close();
    });

    for (const family of [4, 6] as const) {
      it(`IPv${family} multicast reaches every other host with TTL/hop limit 255, never the sender`, async () => {
        const [a, b, c] = [await open(0, { family }), await open(1, { family }), await open(2, { family })];
        const own = record(a);
        const msg = advert(10 + family);
        const atB = nextPacket(b, (p) => eq(p, msg));
        const atC = nextPacket(c, (p) => eq(p, msg));
        expect(unwrap(await a.send(msg, GROUP[family]))).toBeUndefined();
        const [pb, pc] = await Promise.all([atB, atC]);
        const src = await a.localAddress(GROUP[family]);
        expect(src).toBeTruthy();
        for (const p of [pb, pc]) {
          expect(p).toMatchObject({ src, dst: GROUP[family], ttl: 255 });
          expect(p.ifindex).toBeGreaterThan(0);
        }
        if (family === 6) expect(src).toMatch(/^fe80:/);
        await lab.settle();
        expect(own.filter((p) => eq(p, msg))).toHaveLength(0);
      });

      it(`IPv${family} unicast reaches only the peer, with the peer's address as destination`, async () => {
        const b = lab.hosts[1];
        const dst = family === 4 ? b.ipv4 : b.ipv6;
        const [sa, sb, sc] = [await open(0, { family, multicast: false }), await open(1, { family, multicast: false }), await open(2, { family, multicast: false })];
        const atC = record(sc);
        const msg = advert(20 + family);
        const atB = nextPacket(sb, (p) => eq(p, msg));
        unwrap(await sa.send(msg, dst));
        const p = await atB;
        expect(p).toMatchObject({ src: await sa.localAddress(dst), dst, ttl: 255 });
        if (family === 6) expect(p.src).not.toMatch(/^fe80:/);
        await lab.settle();
        expect(atC.filter((q) => eq(q, msg))).toHaveLength(0);
      });

      it(`IPv${family}: a packet sent with TTL 1 is reported with ttl 1 (for the validation layer to drop)`, async () => {
        const [b, c] = [await open(1, { family }), await open(2, { family })];
        const msg = advert(30 + family);
        const atB = nextPacket(b, (p) => eq(p, msg));
        unwrap(await c.send(msg, GROUP[family], { ttl: 1 }));
        expect((await atB).ttl).toBe(1);
      });

      it(`IPv${family}: a unicast-only socket does not receive multicast`, async () => {
        const a = await open(0, { family });
        const bUnicast = await open(1, { family, multicast: false });
        const bMulticast = await open(1, { family });
        const seen = record(bUnicast);
        const msg = advert(40 + family);
        const delivered = nextPacket(bMulticast, (p) => eq(p, msg));
        unwrap(await a.send(msg, GROUP[family]));
        await delivered;
        await lab.settle();
        expect(seen.filter((p) => eq(p, msg))).toHaveLength(0);
      });
    }

    it('sends from the configured source address and reports it as localAddress()', async () => {
      const a = lab.hosts[0];
      const sa = await open(0, { family: 4, sourceAddress: a.ipv4 });
      const sb = await open(1, { family: 4 });
      expect(await sa.localAddress()).toBe(a.ipv4);
      const msg = advert(50);
      const atB = nextPacket(sb, (p) => eq(p, msg));
      unwrap(await sa.send(msg, GROUP[4]));
      expect((await atB).src).toBe(a.ipv4);
    });

    it('a closed socket delivers nothing more', async () => {
      const sa = await open(0, { family: 4 });
      const sb = await open(1, { family: 4 });
      const seen = record(sb);
      await sb.close();
      unwrap(await sa.send(advert(60), GROUP[4]));
      await lab.settle();
      expect(seen).toHaveLength(0);
    });

    it('opening on a missing interface is an ENODEV result, not an exception', async () => {
      const r = await lab.hosts[0].open({ family: 4, ifname: 'nosuchif0' });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe('ENODEV');
    });

    it('a host whose link is down neither receives nor sends; it does once the link is back', async () => {
      const sa = await open(0, { family: 4 });
      const sb = await open(1, { family: 4 });
      const seen = record(sb);
      await lab.hosts[1].setLinkUp(false);
      try {
        unwrap(await sa.send(advert(70), GROUP[4]));
        const fromDown = await sb.send(advert(71), GROUP[4]);
        expect(fromDown.ok).toBe(false);
        await lab.settle();
        expect(seen.filter((p) => p.payload[1] === 70)).toHaveLength(0);
      } finally {
        await lab.hosts[1].setLinkUp(true);
      }
      const msg = advert(72);
      // A fresh link may take a moment to pass traffic (carrier, IPv6 link-local): retry briefly.
      let got = false;
      for (let i = 0; i < 20 && !got; i++) {
        unwrap(await sa.send(msg, GROUP[4]));
        await lab.settle();
        got = seen.some((p) => eq(p, msg));
      }
      expect(got).toBe(true);
    });
  });
}
