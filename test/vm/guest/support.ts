/** Shared setup of the guest suites: one genl table, builders, and the two-witness check. */
import assert from 'node:assert/strict';
import { after, beforeEach } from 'node:test';
import { NO_FLAGS, destinationId, serviceId, type Destination, type Service, type ServiceKey, type VirtualServerTable } from '../../../agent/src/lb/model.ts';
import type { Ownership } from '../../../agent/src/lb/reconcile.ts';
import { openIpvs } from '../../../agent/src/os/ipvs/genl-table.ts';
import { syncIpvs, type SyncReport } from '../../../agent/src/os/ipvs/sync.ts';
import type { IpvsTable } from '../../../agent/src/os/ipvs/table.ts';
import { expectedDest, expectedHead, expectedLine, ipvsadm, ipvsadmTable } from './ipvsadm.ts';

let table: IpvsTable | undefined;

export async function ipvs(): Promise<IpvsTable> {
  if (!table) {
    const r = await openIpvs();
    if (!r.ok) throw new Error(r.message);
    table = r.value;
  }
  return table;
}

export function closeIpvs(): void {
  table?.close();
  table = undefined;
}

export function clearKernel(): void {
  ipvsadm('-C');
}

let hooked = false;

/**
 * Every test starts from an empty IPVS table; the socket closes at the end. Registered once at
 * the root even when several guest files are bundled into one run.
 */
export function freshTablePerTest(): void {
  if (hooked) return;
  hooked = true;
  beforeEach(() => clearKernel());
  after(() => { clearKernel(); closeIpvs(); });
}

export const OWN_NOTHING: Ownership = { owned: new Set(), ownAll: false };

export async function sync(desired: VirtualServerTable, ownership: Ownership = OWN_NOTHING): Promise<SyncReport> {
  const r = await syncIpvs(await ipvs(), desired, ownership);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

export function tcp(address: string, port: number): ServiceKey {
  return { kind: 'address', family: address.includes(':') ? 'inet6' : 'inet', protocol: 'TCP', address, port };
}

export function service(key: ServiceKey, over: Partial<Omit<Service, 'key'>> = {}): Service {
  return { key, scheduler: 'wlc', flags: { ...NO_FLAGS }, destinations: [], ...over };
}

export function dest(address: string, port: number, over: Partial<Destination> = {}): Destination {
  return { family: address.includes(':') ? 'inet6' : 'inet', address, port, method: 'NAT', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over };
}

/**
 * The kernel holds exactly `desired` (for the services it names), seen two ways: Vigil's own
 * genl dump, and ipvsadm's listing rendered independently.
 */
export async function assertKernelHolds(desired: VirtualServerTable): Promise<void> {
  const read = await (await ipvs()).read();
  if (!read.ok) throw new Error(read.message);
  const byId = new Map(read.value.services.map((s) => [serviceId(s.key), s]));
  const listing = ipvsadmTable();
  for (const want of desired.services) {
    const id = serviceId(want.key);
    const have = byId.get(id);
    assert.ok(have, `genl dump lacks ${id}`);
    const { destinations: _w, ...wantSvc } = want;
    const { destinations: haveDests, stats: _s, ...haveSvc } = have;
    assert.deepEqual(haveSvc, wantSvc, `genl dump of ${id}`);
    assert.deepEqual(
      haveDests.map(({ activeConns: _a, inactiveConns: _i, persistentConns: _p, stats: _st, ...d }) => d).sort(byDest),
      [...want.destinations].sort(byDest), `genl dump of ${id} destinations`);
    const row = listing.get(expectedHead(want));
    assert.ok(row, `ipvsadm -Ln lacks ${expectedHead(want)}; it lists ${[...listing.keys()].join(' | ')}`);
    assert.equal(row.line, expectedLine(want), `ipvsadm -Ln line of ${id}`);
    assert.deepEqual(row.dests, new Map(want.destinations.map(expectedDest)), `ipvsadm -Ln destinations of ${id}`);
  }
}

function byDest(a: Destination, b: Destination): number {
  return destinationId(a) < destinationId(b) ? -1 : 1;
}
