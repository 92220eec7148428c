/**
 * Crafted VRRP packets from a third host at a running master (VRRPv2, PASS auth). Each one
 * claims a higher priority, so acting on it would make the master yield; each is broken in one
 * way and must change nothing (Vigil also counts it by reason). The same packet made valid
 * does make the master yield. keepalived gets the same packets, for parity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAdvert, passAuthData, type Advert } from '../../agent/src/vrrp/packet.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { Director, type Impl } from '../support/director.ts';
import { createLab, type NetnsLab, type RpcChild } from '../support/netns.ts';

const run = requireCapabilities('bad packets', ['root', 'netns', 'keepalived']);
const GROUP = '224.0.0.18';
const VIP = '192.0.2.180';

interface Crafted {
  name: string;
  /** Vigil's drop counter that must rise. */
  reason: string;
  bytes: (src: string) => Uint8Array;
  ttl?: number;
}

const valid = (over: Partial<Advert> = {}): Advert => ({
  version: 2, family: 'ipv4', vrid: 80, priority: 254, advertIntervalMs: 1000, addresses: [VIP], authType: 'pass', authData: passAuthData('secret12'), ...over,
});
const enc = (a: Advert, src: string) => encodeAdvert(a, { srcAddress: src, dstAddress: GROUP });

const BAD: Crafted[] = [
  { name: 'TTL 64 (off-link)', reason: 'ttl', ttl: 64, bytes: (s) => enc(valid(), s) },
  { name: 'bad checksum', reason: 'checksum', bytes: (s) => { const b = enc(valid(), s); b[6]! ^= 0xff; return b; } },
  { name: 'VRRPv3 at a v2 instance', reason: 'version', bytes: (s) => enc(valid({ version: 3, authType: 'none', authData: new Uint8Array(0) }), s) },
  { name: 'wrong auth_pass', reason: 'auth', bytes: (s) => enc(valid({ authData: passAuthData('guessed!') }), s) },
  { name: 'another VRID', reason: 'vrid', bytes: (s) => enc(valid({ vrid: 81 }), s) },
  { name: 'truncated', reason: 'length', bytes: (s) => enc(valid(), s).subarray(0, 6) },
  { name: 'other VIP list', reason: 'addr_list', bytes: (s) => enc(valid({ addresses: ['192.0.2.181'] }), s) },
  { name: 'other advert interval', reason: 'interval', bytes: (s) => enc(valid({ advertIntervalMs: 3000 }), s) },
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.skipIf(!run).each(['vigil', 'keepalived'] as Impl[])('crafted packets at a %s master', (impl) => {
  let lab: NetnsLab;
  let master: Director;
  let attacker: RpcChild;
  let sock: number;
  let src: string;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    master = new Director(lab, lab.hosts[0]!, impl, { routerId: 'lbA', instances: [{ version: 2, vrid: 80, priority: 150, advertInt: 1, authPass: 'secret12', vips: [`${VIP}/24`] }] });
    master.start();
    await master.waitForVip(VIP, true, 8000);
    attacker = await lab.serve(lab.hosts[1]!.ns, 'test/net/os-agent-child.ts');
    const opened = await attacker.call<{ ok: boolean; value: number }>('vrrpOpen', { family: 4, ifname: 'eth0' });
    sock = opened.value;
    src = lab.hosts[1]!.ipv4;
  });
  afterAll(async () => {
    await attacker?.call('shutdown').catch(() => {});
    await master?.destroy();
    await lab?.destroy();
  });

  const send = async (b: Uint8Array, ttl?: number) => {
    for (let i = 0; i < 5; i++) await attacker.call('vrrpSend', sock, hex(b), GROUP, ttl ? { ttl } : undefined);
  };

  it.each(BAD)('$name: ignored (the master keeps the VIP)', async (c) => {
    const before = impl === 'vigil' ? (await master.status()).instances[0]!.counters.drops[c.reason]! : 0;
    await send(c.bytes(src), c.ttl);
    await new Promise((r) => setTimeout(r, 400));
    expect(await master.holdsVip(VIP)).toBe(true);
    if (impl === 'vigil') {
      const s = (await master.status()).instances[0]!;
      expect(s.state).toBe('MASTER');
      expect(s.counters.drops[c.reason]).toBe(before + 5);
    }
  });

  it('the same packet made valid makes the master yield', async () => {
    await send(enc(valid(), src));
    await master.waitForVip(VIP, false, 2000);
    if (impl === 'vigil') expect((await master.status()).instances[0]!.state).toBe('BACKUP');
    // Nobody keeps sending priority 254: the master comes back after Master_Down_Interval.
    await master.waitForVip(VIP, true, 6000);
  });
});
