import { describe, expect, expectTypeOf, it } from 'vitest';
import type { IpvsController } from './ipvs/controller.ts';
import { chooseLbBackend, type LbController } from './lb-backend.ts';
import type { NftController } from './nft/controller.ts';

describe('chooseLbBackend', () => {
  it('both controllers fit the one interface the agent holds', () => {
    expectTypeOf<IpvsController>().toExtend<LbController>();
    expectTypeOf<NftController>().toExtend<LbController>();
  });

  it('auto prefers IPVS, falls back to nftables, and says what is missing when neither works', () => {
    expect(chooseLbBackend('auto', { ipvs: true, nftables: true })).toEqual({ ok: true, value: { backend: 'ipvs', reason: 'auto: the kernel has IPVS' } });
    expect(chooseLbBackend('auto', { ipvs: false, nftables: true })).toEqual({ ok: true, value: { backend: 'nftables', reason: 'auto: no IPVS in this kernel, nftables works' } });
    const none = chooseLbBackend('auto', { ipvs: false, nftables: false });
    expect(!none.ok && none.message).toMatch(/modprobe ip_vs.*install nftables/);
  });

  it('an explicit backend is used as configured, or refused when the host lacks it', () => {
    expect(chooseLbBackend('nftables', { ipvs: true, nftables: true })).toMatchObject({ ok: true, value: { backend: 'nftables' } });
    expect(chooseLbBackend('ipvs', { ipvs: true, nftables: false })).toMatchObject({ ok: true, value: { backend: 'ipvs' } });
    const r = chooseLbBackend('ipvs', { ipvs: false, nftables: true });
    expect(!r.ok && r.message).toMatch(/"ipvs" is configured but the kernel has no IPVS/);
    expect(chooseLbBackend('nftables', { ipvs: true, nftables: false }).ok).toBe(false);
  });
});
