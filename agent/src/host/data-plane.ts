/**
 * The Linux data plane of a director: picks IPVS (generic netlink) or nftables, opens it, and
 * says, for each revision, whether it can program its virtual servers (lb/support.ts). The
 * ownership of IPVS services Vigil created is kept in the state dir across restarts.
 */
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { dataPlaneSupport, type SupportVerdict } from '../lb/support.ts';
import { IpvsController, type OwnershipStore } from '../os/ipvs/controller.ts';
import { openIpvs } from '../os/ipvs/genl-table.ts';
import { selectLbBackend, type LbBackendMode } from '../os/lb-backend.ts';
import { NftController } from '../os/nft/controller.ts';
import { execNft } from '../os/nft/exec.ts';
import { writeFileAtomic } from '../os/atomic-file.ts';
import type { OsResult } from '../os/ports.ts';
import type { LbConfig, LbDataPlane } from '../runtime/lb.ts';

/** An open data plane: what programs the kernel, and whether it can program a revision. */
export interface OpenedDataPlane extends LbDataPlane {
  readonly reason: string;
  check(lb: Pick<LbConfig, 'virtualServers' | 'virtualServerGroups'>): SupportVerdict;
  /** Releases what opening took (the IPVS netlink socket), leaving the kernel's table as it is. */
  close?(): void;
}

/**
 * Which IPVS services Vigil created, kept across restarts (what it may delete). A file that is
 * not what Vigil wrote is set aside (`.corrupt`) and reported: Vigil then owns nothing it did
 * not create in this run, so it never deletes a service someone else made.
 */
export function fileOwnershipStore(path: string, warn: (m: string) => void): OwnershipStore {
  return {
    async load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        warn(`IPVS ownership record ${path} unreadable (${(e as Error).message}): services created by an earlier run are left alone`);
        return [];
      }
      try {
        const ids: unknown = JSON.parse(text);
        if (Array.isArray(ids) && ids.every((x) => typeof x === 'string')) return ids as string[];
        throw new Error('not a list of service ids');
      } catch (e) {
        const aside = `${path}.corrupt`;
        try { renameSync(path, aside); } catch { /* the rewrite below replaces it anyway */ }
        warn(`IPVS ownership record ${path} is corrupt (${(e as Error).message}); moved to ${aside}. Services created by an earlier run are left alone; remove stale ones with ipvsadm`);
        return [];
      }
    },
    async save(ids) {
      writeFileAtomic(path, JSON.stringify(ids));
    },
  };
}

export async function openLinuxDataPlane(mode: LbBackendMode, stateDir: string, lvsFlush: boolean, warn: (m: string) => void): Promise<OsResult<OpenedDataPlane>> {
  const nft = execNft();
  const sel = await selectLbBackend(mode, nft);
  if (!sel.ok) return sel;
  if (sel.value.backend === 'ipvs') {
    const t = await openIpvs();
    if (!t.ok) return { ok: false, code: t.code, message: `IPVS: ${t.message}` };
    const controller = new IpvsController(t.value, fileOwnershipStore(join(stateDir, 'ipvs-services.json'), warn), lvsFlush);
    return { ok: true, value: { name: 'IPVS', reason: sel.value.reason, controller, check: (lb) => dataPlaneSupport('ipvs', lb), close: () => t.value.close() } };
  }
  const controller = new NftController(nft, { approximateLeastConnection: true });
  return {
    ok: true,
    value: {
      name: 'nftables',
      reason: sel.value.reason,
      controller,
      check: (lb) => {
        const v = dataPlaneSupport('nftables', lb);
        return v.problems.length ? { ...v, problems: [`the nftables data plane (${sel.value.reason}) cannot program these virtual servers:\n  ${v.problems.join('\n  ')}`] } : v;
      },
    },
  };
}
