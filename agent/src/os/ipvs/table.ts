/**
 * The IPVS port: read the kernel's table (with counters), apply one reconcile operation.
 * Real implementation: {@link ./genl-table.ts} (generic netlink). Fake: {@link ./fake-table.ts}.
 */
import type { ActualTable } from '../../lb/model.ts';
import type { IpvsOp } from '../../lb/reconcile.ts';
import type { OsResult } from '../ports.ts';
import type { IpvsInfo } from './codec.ts';

export interface IpvsTable {
  /** IPVS_CMD_GET_INFO: API version and connection table size. */
  info(): Promise<OsResult<IpvsInfo>>;
  /** Every service with its destinations and counters (GET_SERVICE dump + GET_DEST per service). */
  read(): Promise<OsResult<ActualTable>>;
  /**
   * Applies one operation. Idempotent: adding what exists edits it, deleting what is gone
   * succeeds, so a retry after a partial failure converges.
   */
  apply(op: IpvsOp): Promise<OsResult>;
  close(): void;
}
