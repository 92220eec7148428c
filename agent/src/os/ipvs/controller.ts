/**
 * What the agent runtime holds for IPVS: serialised reconcile passes, the set of services Vigil
 * created (persisted through `store`, so a restarted agent still knows what it may delete), and
 * the last read-back for `vigil status` / metrics.
 */
import { serviceId as serviceIdOf, type ActualTable, type VirtualServerTable } from '../../lb/model.ts';
import { ownedAfter } from '../../lb/reconcile.ts';
import type { OsResult } from '../ports.ts';
import { syncIpvs, type SyncReport } from './sync.ts';
import type { IpvsTable } from './table.ts';

export interface OwnershipStore {
  load(): Promise<string[]>;
  save(ids: string[]): Promise<void>;
}

export class IpvsController {
  private chain: Promise<unknown> = Promise.resolve();
  private owned: Set<string> | undefined;
  lastReport: SyncReport | undefined;
  lastTable: ActualTable | undefined;

  /** `ownAll`: the config owns the whole table (keepalived `lvs_flush`). */
  constructor(private readonly table: IpvsTable, private readonly store: OwnershipStore, private readonly ownAll = false) {}

  /** One pass; passes never overlap (a second call waits for the first). */
  apply(desired: VirtualServerTable): Promise<OsResult<SyncReport>> {
    const run = this.chain.then(() => this.pass(desired));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async pass(desired: VirtualServerTable): Promise<OsResult<SyncReport>> {
    this.owned ??= new Set(await this.store.load());
    const r = await syncIpvs(this.table, desired, { owned: this.owned, ownAll: this.ownAll });
    if (!r.ok) return r;
    // A service whose creation failed is not ours yet; one we failed to delete still is.
    const next = ownedAfter(desired);
    for (const f of r.value.failed) {
      if (f.op.op === 'add-service') next.delete(serviceIdOf(f.op.service.key));
      if (f.op.op === 'delete-service') next.add(serviceIdOf(f.op.key));
    }
    this.owned = next;
    await this.store.save([...next].sort());
    this.lastReport = r.value;
    const read = await this.table.read();
    if (read.ok) this.lastTable = read.value;
    return r;
  }
}
