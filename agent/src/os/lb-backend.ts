/**
 * Which data plane programs the load balancer: IPVS (the kernel's LVS, what keepalived drives)
 * or nftables (DNAT with weighted maps, for kernels built without ip_vs). `auto` prefers IPVS
 * whenever the kernel has it, because IPVS runs every scheduler, DR and TUN; nftables covers
 * NAT with rr/wrr/sh/dh/fo (lb/nft/support.ts).
 */
import { access } from 'node:fs/promises';
import type { ActualTable, VirtualServerTable } from '../lb/model.ts';
import type { OsResult } from './ports.ts';
import { openIpvs } from './ipvs/genl-table.ts';
import type { NftExec } from './nft/exec.ts';

/**
 * What the agent needs of either data plane: IpvsController (os/ipvs/controller.ts) and
 * NftController (os/nft/controller.ts) both fit. `stop` removes what the data plane owns
 * (nftables: its table; IPVS keeps services across agent restarts, as keepalived does).
 */
export interface LbController {
  apply(desired: VirtualServerTable): Promise<OsResult<unknown>>;
  readonly lastTable: ActualTable | undefined;
  stop?(): Promise<OsResult>;
}

export type LbBackendMode = 'auto' | 'ipvs' | 'nftables';
export type LbBackend = 'ipvs' | 'nftables';

export interface LbBackendProbes {
  /** The kernel has IPVS (in this network namespace). */
  ipvs: boolean;
  /** nft runs and nf_tables answers. */
  nftables: boolean;
}

/** The decision, pure: the backend and why, or an error naming what is missing and what to do. */
export function chooseLbBackend(mode: LbBackendMode, probes: LbBackendProbes): OsResult<{ backend: LbBackend; reason: string }> {
  if (mode === 'ipvs') {
    return probes.ipvs ? { ok: true, value: { backend: 'ipvs', reason: 'configured' } }
      : { ok: false, code: 'ENOENT', message: 'load balancer backend "ipvs" is configured but the kernel has no IPVS (modprobe ip_vs, or set the backend to "nftables" or "auto")' };
  }
  if (mode === 'nftables') {
    return probes.nftables ? { ok: true, value: { backend: 'nftables', reason: 'configured' } }
      : { ok: false, code: 'ENOENT', message: 'load balancer backend "nftables" is configured but nft does not work here (install nftables; the kernel needs nf_tables, nft_nat, nft_numgen)' };
  }
  if (probes.ipvs) return { ok: true, value: { backend: 'ipvs', reason: 'auto: the kernel has IPVS' } };
  if (probes.nftables) return { ok: true, value: { backend: 'nftables', reason: 'auto: no IPVS in this kernel, nftables works' } };
  return { ok: false, code: 'ENOENT', message: 'no load balancer data plane: the kernel has no IPVS (modprobe ip_vs) and nft does not work (install nftables)' };
}

/**
 * Probes this host: IPVS when /proc/net/ip_vs exists or the generic netlink family "IPVS"
 * resolves (which may autoload ip_vs); nftables when `nft list tables` succeeds.
 */
export async function probeLbBackends(nft: NftExec): Promise<LbBackendProbes> {
  const ipvs = await access('/proc/net/ip_vs').then(() => true, async () => {
    const r = await openIpvs().catch(() => undefined);
    if (r?.ok) r.value.close();
    return r?.ok === true;
  });
  const nftables = (await nft(['list', 'tables'])).ok;
  return { ipvs, nftables };
}

/** `auto` / `ipvs` / `nftables` -> the backend this host will use. */
export async function selectLbBackend(mode: LbBackendMode, nft: NftExec): Promise<OsResult<{ backend: LbBackend; reason: string }>> {
  return chooseLbBackend(mode, await probeLbBackends(nft));
}
