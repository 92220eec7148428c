/**
 * Reconcile, don't replay: desired table + the table read back from the kernel -> the ordered
 * operations that turn one into the other. Pure; the IPVS shell (os/ipvs/sync.ts) applies them.
 *
 * Ownership: a service the desired table names is Vigil's, with all of its destinations. A
 * service it does not name is deleted only when Vigil created it before (`owned`, persisted by
 * the caller) or the config owns the whole table (`lvs_flush`); anything else someone put there
 * by hand (ipvsadm, another daemon) is left alone.
 *
 * Order: deletions of stale services first; then per desired service add/edit it, add missing
 * destinations, edit changed ones, and only then delete extra ones, so a pool never empties in
 * between (a weight change never goes through delete+add, which would drop connections).
 */
import { destinationId, serviceId, type Destination, type Persistence, type Service, type ServiceFlags, type ServiceKey } from './model.ts';

export type IpvsOp =
  | { op: 'add-service'; service: Service }
  | { op: 'edit-service'; service: Service }
  | { op: 'delete-service'; key: ServiceKey }
  | { op: 'add-destination'; key: ServiceKey; destination: Destination }
  | { op: 'edit-destination'; key: ServiceKey; destination: Destination }
  | { op: 'delete-destination'; key: ServiceKey; destination: Destination };

/** The service shape reconcile compares; an actual table (with stats) is one too. */
export type ComparableService = Omit<Service, 'destinations'> & { destinations: Destination[] };

export interface Ownership {
  /** {@link serviceId}s Vigil created earlier and may delete when they leave the config. */
  owned: ReadonlySet<string>;
  /** The config owns every service in the table (`lvs_flush`): delete whatever it does not name. */
  ownAll: boolean;
}

export function reconcile(desired: { services: readonly Service[] }, actual: { services: readonly ComparableService[] }, ownership: Ownership): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const actualById = new Map(actual.services.map((s) => [serviceId(s.key), s]));
  const desiredIds = new Set(desired.services.map((s) => serviceId(s.key)));
  for (const [id, s] of actualById) {
    if (!desiredIds.has(id) && (ownership.ownAll || ownership.owned.has(id))) ops.push({ op: 'delete-service', key: s.key });
  }
  for (const want of desired.services) {
    const have = actualById.get(serviceId(want.key));
    if (!have) ops.push({ op: 'add-service', service: want });
    else if (!sameService(want, have)) ops.push({ op: 'edit-service', service: want });
    const haveDests = new Map((have?.destinations ?? []).map((d) => [destinationId(d), d]));
    const wantIds = new Set(want.destinations.map(destinationId));
    for (const d of want.destinations) {
      if (!haveDests.has(destinationId(d))) ops.push({ op: 'add-destination', key: want.key, destination: d });
    }
    for (const d of want.destinations) {
      const h = haveDests.get(destinationId(d));
      if (h && !sameDestination(d, h)) ops.push({ op: 'edit-destination', key: want.key, destination: d });
    }
    for (const [id, h] of haveDests) {
      if (!wantIds.has(id)) ops.push({ op: 'delete-destination', key: want.key, destination: h });
    }
  }
  return ops;
}

/** Service ids Vigil owns once the desired table is applied (persist this for the next run). */
export function ownedAfter(desired: { services: readonly Service[] }): Set<string> {
  return new Set(desired.services.map((s) => serviceId(s.key)));
}

function sameFlags(a: ServiceFlags, b: ServiceFlags): boolean {
  return a.onePacket === b.onePacket && a.sched1 === b.sched1 && a.sched2 === b.sched2 && a.sched3 === b.sched3;
}

function samePersistence(a: Persistence | undefined, b: Persistence | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.timeoutSec === b.timeoutSec && a.netmaskPrefix === b.netmaskPrefix;
}

export function sameService(a: Omit<Service, 'destinations'>, b: Omit<Service, 'destinations'>): boolean {
  return a.scheduler === b.scheduler && sameFlags(a.flags, b.flags) && samePersistence(a.persistence, b.persistence)
    && (a.persistenceEngine ?? '') === (b.persistenceEngine ?? '');
}

export function sameDestination(a: Destination, b: Destination): boolean {
  if (a.method !== b.method || a.weight !== b.weight || a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  if (a.method !== 'TUN') return true;
  const ta = a.tunnel ?? { type: 'ipip', port: 0, checksum: 'nocsum' };
  const tb = b.tunnel ?? { type: 'ipip', port: 0, checksum: 'nocsum' };
  return ta.type === tb.type && ta.port === tb.port && ta.checksum === tb.checksum;
}
