/**
 * In-memory {@link IpvsTable} for unit tests of the code around IPVS. It keeps the kernel's
 * error codes (EEXIST, ESRCH for a missing service, ENOENT for a missing destination) so
 * callers see the same failures; the real kernel is proven by the VM suite (test/vm).
 */
import { destinationId, serviceId, type ActualDestination, type ActualService, type ActualTable, type LbStats } from '../../lb/model.ts';
import type { IpvsOp } from '../../lb/reconcile.ts';
import type { OsResult } from '../ports.ts';
import type { IpvsInfo } from './codec.ts';
import type { IpvsTable } from './table.ts';

const ZERO: LbStats = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

export class FakeIpvsTable implements IpvsTable {
  readonly services = new Map<string, ActualService>();
  /** Every operation applied, in order (tests assert on it). */
  readonly log: IpvsOp[] = [];

  async info(): Promise<OsResult<IpvsInfo>> {
    return { ok: true, value: { version: '1.2.1', connTableSize: 4096 } };
  }

  async read(): Promise<OsResult<ActualTable>> {
    return { ok: true, value: structuredClone({ services: [...this.services.values()] }) };
  }

  async apply(op: IpvsOp): Promise<OsResult> {
    this.log.push(op);
    const fail = (code: string): OsResult => ({ ok: false, code, message: `${op.op}: ${code}` });
    if (op.op === 'add-service' || op.op === 'edit-service') {
      const id = serviceId(op.service.key);
      const existing = this.services.get(id);
      const { destinations: _d, ...rest } = op.service;
      this.services.set(id, { ...structuredClone(rest), destinations: existing?.destinations ?? [], stats: existing?.stats ?? ZERO });
      return { ok: true, value: undefined };
    }
    if (op.op === 'delete-service') {
      this.services.delete(serviceId(op.key));
      return { ok: true, value: undefined };
    }
    const svc = this.services.get(serviceId(op.key));
    if (!svc) return fail('ESRCH');
    const id = destinationId(op.destination);
    const i = svc.destinations.findIndex((d) => destinationId(d) === id);
    if (op.op === 'delete-destination') {
      if (i !== -1) svc.destinations.splice(i, 1);
      return { ok: true, value: undefined };
    }
    const d: ActualDestination = { ...structuredClone(op.destination), activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: ZERO };
    if (i === -1) svc.destinations.push(d);
    else svc.destinations[i] = { ...svc.destinations[i]!, ...structuredClone(op.destination) };
    return { ok: true, value: undefined };
  }

  close(): void {}
}
