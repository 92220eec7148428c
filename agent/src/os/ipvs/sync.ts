/**
 * One reconcile pass: read the kernel table, diff against the desired one, apply the
 * difference. Every operation is attempted; failures are reported, not thrown, and the next
 * pass retries whatever is still different.
 */
import type { VirtualServerTable } from '../../lb/model.ts';
import { reconcile, type IpvsOp, type Ownership } from '../../lb/reconcile.ts';
import type { OsResult } from '../ports.ts';
import type { IpvsTable } from './table.ts';

export interface SyncReport {
  applied: IpvsOp[];
  failed: { op: IpvsOp; code: string; message: string }[];
}

export async function syncIpvs(table: IpvsTable, desired: VirtualServerTable, ownership: Ownership): Promise<OsResult<SyncReport>> {
  const actual = await table.read();
  if (!actual.ok) return actual;
  const report: SyncReport = { applied: [], failed: [] };
  for (const op of reconcile(desired, actual.value, ownership)) {
    const r = await table.apply(op);
    if (r.ok) report.applied.push(op);
    else report.failed.push({ op, code: r.code, message: r.message });
  }
  return { ok: true, value: report };
}
