import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type Destination, type Service, type ServiceKey } from './model.ts';
import { ownedAfter, reconcile, type Ownership } from './reconcile.ts';

const key = (address: string, port = 80): ServiceKey => ({ kind: 'address', family: 'inet', protocol: 'TCP', address, port });
const d = (address: string, over: Partial<Destination> = {}): Destination => ({ family: 'inet', address, port: 80, method: 'NAT', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });
const svc = (k: ServiceKey, dests: Destination[] = [], over: Partial<Service> = {}): Service => ({ key: k, scheduler: 'wlc', flags: { ...NO_FLAGS }, destinations: dests, ...over });
const none: Ownership = { owned: new Set(), ownAll: false };
const ops = (list: ReturnType<typeof reconcile>) => list.map((o) => `${o.op} ${'service' in o ? o.service.key.kind === 'address' ? o.service.key.address : '' : ''}${'destination' in o ? o.destination.address : ''}`.trim());

describe('reconcile', () => {
  it('empty kernel: each service, then its destinations', () => {
    const want = { services: [svc(key('10.0.0.1'), [d('10.0.1.1'), d('10.0.1.2')]), svc(key('10.0.0.2'), [d('10.0.1.3')])] };
    expect(ops(reconcile(want, { services: [] }, none))).toEqual([
      'add-service 10.0.0.1', 'add-destination 10.0.1.1', 'add-destination 10.0.1.2', 'add-service 10.0.0.2', 'add-destination 10.0.1.3',
    ]);
  });

  it('identical tables: no operations', () => {
    const want = { services: [svc(key('10.0.0.1'), [d('10.0.1.1', { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } })], { persistence: { timeoutSec: 300, netmaskPrefix: 24 } })] };
    expect(reconcile(want, structuredClone(want), none)).toEqual([]);
  });

  it('adds before edits before deletes within a service, so the pool never empties', () => {
    const have = { services: [svc(key('10.0.0.1'), [d('10.0.1.1'), d('10.0.1.2')])] };
    const want = { services: [svc(key('10.0.0.1'), [d('10.0.1.2', { weight: 5 }), d('10.0.1.3')])] };
    expect(ops(reconcile(want, have, none))).toEqual(['add-destination 10.0.1.3', 'edit-destination 10.0.1.2', 'delete-destination 10.0.1.1']);
  });

  it.each([
    ['scheduler', { scheduler: 'rr' as const }],
    ['flags', { flags: { ...NO_FLAGS, sched2: true } }],
    ['persistence on', { persistence: { timeoutSec: 60, netmaskPrefix: 32 } }],
    ['persistence engine', { persistenceEngine: 'sip' }],
  ])('a service %s change is one edit-service', (_name, over) => {
    const have = { services: [svc(key('10.0.0.1'))] };
    expect(ops(reconcile({ services: [svc(key('10.0.0.1'), [], over)] }, have, none))).toEqual(['edit-service 10.0.0.1']);
  });

  it.each([
    ['weight', { weight: 0 }],
    ['method', { method: 'DR' as const }],
    ['upper threshold', { upperThreshold: 10 }],
    ['lower threshold', { lowerThreshold: 3 }],
  ])('a destination %s change is one edit-destination', (_name, over) => {
    const have = { services: [svc(key('10.0.0.1'), [d('10.0.1.1')])] };
    expect(ops(reconcile({ services: [svc(key('10.0.0.1'), [d('10.0.1.1', over)])] }, have, none))).toEqual(['edit-destination 10.0.1.1']);
  });

  it('tunnel type, port and checksum are compared only for TUN', () => {
    const t = (over: object) => d('10.0.1.1', { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'nocsum', ...over } });
    const have = { services: [svc(key('10.0.0.1'), [t({})])] };
    for (const over of [{ type: 'gre', port: 0 }, { port: 6081 }, { checksum: 'remcsum' }]) {
      expect(reconcile({ services: [svc(key('10.0.0.1'), [t(over)])] }, have, none)).toHaveLength(1);
    }
    const nat = { services: [svc(key('10.0.0.1'), [d('10.0.1.1')])] };
    expect(reconcile(nat, { services: [svc(key('10.0.0.1'), [d('10.0.1.1', { tunnel: { type: 'gre', port: 0, checksum: 'csum' } })])] }, none)).toEqual([]);
  });

  it('foreign services stay; owned ones not in the config go; ownAll takes everything', () => {
    const have = { services: [svc(key('10.0.0.1')), svc(key('10.0.0.2')), svc({ kind: 'fwmark', family: 'inet', fwmark: 3 })] };
    const want = { services: [svc(key('10.0.0.1'))] };
    expect(reconcile(want, have, none)).toEqual([]);
    expect(reconcile(want, have, { owned: new Set(['TCP 10.0.0.2:80']), ownAll: false })).toEqual([{ op: 'delete-service', key: key('10.0.0.2') }]);
    expect(reconcile(want, have, { owned: new Set(), ownAll: true }).map((o) => o.op)).toEqual(['delete-service', 'delete-service']);
  });

  it('stale services are deleted first', () => {
    const have = { services: [svc(key('10.0.0.2'))] };
    const want = { services: [svc(key('10.0.0.1'))] };
    expect(ops(reconcile(want, have, { owned: new Set(['TCP 10.0.0.2:80']), ownAll: false }))).toEqual(['delete-service', 'add-service 10.0.0.1']);
  });

  it('ownedAfter is exactly the desired services', () => {
    expect([...ownedAfter({ services: [svc(key('10.0.0.1')), svc({ kind: 'fwmark', family: 'inet6', fwmark: 7 })] })]).toEqual(['TCP 10.0.0.1:80', 'FWM 7 inet6']);
  });
});
