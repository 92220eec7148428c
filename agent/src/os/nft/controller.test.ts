import { describe, expect, it } from 'vitest';
import { dest, service, tcp } from '../../lb/nft/fixtures.ts';
import type { VirtualServerTable } from '../../lb/model.ts';
import { NftController } from './controller.ts';
import { FakeNft } from './fake-nft.ts';

const table = (...weights: number[]): VirtualServerTable => ({
  services: [service(tcp('10.0.0.1', 80), weights.map((w, i) => dest(`10.0.1.${i + 1}`, 8080, w)), { persistence: { timeoutSec: 300, netmaskPrefix: 32 } })],
});
const writes = (nft: FakeNft) => nft.log.filter((l) => l.args.join(' ') === '-f -').length;

describe('NftController', () => {
  it('writes once, then only when the ruleset changes; an agent restart with the same table writes nothing', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    const r1 = await c.apply(table(1, 2));
    expect(r1.ok && r1.value).toMatchObject({ applied: true, reasons: ['table inet vigil_lb is absent'] });
    const r2 = await c.apply(table(1, 2));
    expect(r2.ok && r2.value.applied).toBe(false);
    const restarted = new NftController(nft.exec);
    expect((await restarted.apply(table(1, 2))).ok).toBe(true);
    expect(restarted.lastReport?.applied).toBe(false);
    expect(writes(nft)).toBe(1);
    const r3 = await c.apply(table(1, 3));
    expect(r3.ok && r3.value.applied).toBe(true);
    expect(r3.ok && r3.value.reasons[0]).toMatch(/^table inet vigil_lb holds ruleset [0-9a-f]{16}, expected [0-9a-f]{16}$/);
    expect(writes(nft)).toBe(2);
  });

  it('re-applies when the table was deleted or a chain inside it altered behind its back', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    await c.apply(table(1, 1));
    nft.tables.delete('vigil_lb');
    expect((await c.apply(table(1, 1))).ok).toBe(true);
    expect(c.lastReport?.reasons).toEqual(['table inet vigil_lb is absent']);
    nft.tables.get('vigil_lb')!.chains.get('d_tcp_10_0_0_1_80__10_0_1_2_8080')![1]!.dnat!.addr = '10.9.9.9';
    const r = await c.apply(table(1, 1));
    expect(r.ok && r.value.reasons).toEqual(['TCP 10.0.0.1:80 -> 10.0.1.2:8080: chain d_tcp_10_0_0_1_80__10_0_1_2_8080 DNATs to 10.9.9.9:8080']);
    expect(writes(nft)).toBe(3);
  });

  it('keeps the persistence sets of servers that stay, with their clients; drops those of a drained server', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    await c.apply(table(1, 1, 1));
    const set = (i: number) => nft.tables.get('vigil_lb')!.sets.get(`p32t300_tcp_10_0_0_1_80__10_0_1_${i}_8080`);
    set(1)!.push({ key: '192.0.2.7', expires: 200 });
    set(3)!.push({ key: '192.0.2.8', expires: 100 });
    const r = await c.apply(table(1, 1, 0)); // the third server drains: its clients are rescheduled
    expect(r.ok && r.value.mode).toBe('in-place');
    const script = nft.log.at(-2)!.stdin!;
    expect(script).toContain('delete set inet vigil_lb p32t300_tcp_10_0_0_1_80__10_0_1_3_8080');
    expect(script).not.toContain('delete set inet vigil_lb p32t300_tcp_10_0_0_1_80__10_0_1_1_8080');
    expect(set(1)).toEqual([{ key: '192.0.2.7', expires: 200 }]);
    expect(set(3)).toBeUndefined();
    expect(c.lastTable?.services[0]!.destinations.map((d) => [d.address, d.weight, d.persistentConns])).toEqual([['10.0.1.1', 1, 1], ['10.0.1.2', 1, 0], ['10.0.1.3', 0, 0]]);
  });

  it('reports counters in the IPVS read-back shape', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    await c.apply(table(1, 2));
    nft.count('vigil_lb', 'd_tcp_10_0_0_1_80__10_0_1_2_8080', 7);
    await c.apply(table(1, 2));
    expect(c.lastTable?.services[0]!.stats.conns).toBe(7);
    expect(c.lastTable?.services[0]!.destinations.map((d) => d.stats.conns)).toEqual([0, 7]);
  });

  it('refuses an unsupported table without touching the kernel, naming every field', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    const bad: VirtualServerTable = { services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80, 1, { method: 'DR' })], { scheduler: 'wlc' })] };
    const r = await c.apply(bad);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe('EOPNOTSUPP');
    expect(!r.ok && r.message).toContain('services[0] (TCP 10.0.0.1:80).scheduler: wlc');
    expect(!r.ok && r.message).toContain('services[0] (TCP 10.0.0.1:80).destinations[0] (10.0.1.1:80).method: DR');
    expect(nft.log).toEqual([]);
    const approx = new NftController(nft.exec, { approximateLeastConnection: true });
    expect((await approx.apply({ services: [service(tcp('10.0.0.1', 80), [dest('10.0.1.1', 80)], { scheduler: 'wlc' })] })).ok).toBe(true);
  });

  it('a failed in-place rewrite falls back to re-creating the table; when that fails too the old table stays', async () => {
    const nft = new FakeNft();
    const c = new NftController(nft.exec);
    await c.apply(table(1));
    const err = { ok: false as const, code: 'EINVAL', message: 'nft -f -: Error: Could not process rule: Device or resource busy' };
    nft.failApplies.push(err);
    const r = await c.apply(table(2));
    expect(r.ok && r.value.mode).toBe('recreate');
    expect(nft.log.at(-2)!.stdin).toMatch(/^add table inet vigil_lb \{ comment .*\}\ndelete table inet vigil_lb\nadd table inet vigil_lb/m);
    nft.failApplies.push(err, err);
    const r2 = await c.apply(table(3));
    expect(!r2.ok && r2.message).toMatch(/^rewriting table inet vigil_lb failed, the old table stays: nft -f -: Error.*; re-creating the table failed too: /);
    expect(c.lastReport?.fingerprint).toBe(r.ok && r.value.fingerprint);
  });

  it('passes never overlap', async () => {
    const nft = new FakeNft();
    let inFlight = 0;
    let max = 0;
    const slow = new NftController(async (args, stdin) => {
      inFlight++; max = Math.max(max, inFlight);
      await new Promise((res) => setTimeout(res, 2));
      inFlight--;
      return nft.exec(args, stdin);
    });
    await Promise.all([slow.apply(table(3)), slow.apply(table(4)), slow.stop()]);
    expect(max).toBe(1);
  });

  it('stop() deletes its own table only, and succeeds when it is gone', async () => {
    const nft = new FakeNft();
    nft.tables.set('foreign', { chains: new Map(), sets: new Map() });
    const c = new NftController(nft.exec);
    await c.apply(table(1));
    expect((await c.stop()).ok).toBe(true);
    expect([...nft.tables.keys()]).toEqual(['foreign']);
    expect((await c.stop()).ok).toBe(true);
    expect(nft.log.filter((l) => l.args[0] === 'delete').map((l) => l.args.join(' '))).toEqual(['delete table inet vigil_lb', 'delete table inet vigil_lb']);
  });
});
