import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type Service, type VirtualServerTable } from '../../lb/model.ts';
import { IpvsController } from './controller.ts';
import { FakeIpvsTable } from './fake-table.ts';

const svc = (address: string, scheduler: Service['scheduler'] = 'rr'): Service => ({ key: { kind: 'address', family: 'inet', protocol: 'TCP', address, port: 80 }, scheduler, flags: { ...NO_FLAGS }, destinations: [] });
function memoryStore(initial: string[] = []) {
  const s = { ids: initial, load: async () => s.ids, save: async (ids: string[]) => { s.ids = ids; } };
  return s;
}

describe('IpvsController', () => {
  it('remembers what it created across restarts and deletes it when the config drops it', async () => {
    const table = new FakeIpvsTable();
    await table.apply({ op: 'add-service', service: svc('10.9.9.9') }); // foreign
    const store = memoryStore();
    const a = new IpvsController(table, store);
    await a.apply({ services: [svc('10.0.0.1'), svc('10.0.0.2')] });
    expect(store.ids).toEqual(['TCP 10.0.0.1:80', 'TCP 10.0.0.2:80']);
    const restarted = new IpvsController(table, store);
    await restarted.apply({ services: [svc('10.0.0.1')] });
    expect([...table.services.keys()].sort()).toEqual(['TCP 10.0.0.1:80', 'TCP 10.9.9.9:80']);
    expect(restarted.lastTable?.services).toHaveLength(2);
  });

  it('a service it failed to create is not claimed; passes run one at a time', async () => {
    const table = new FakeIpvsTable();
    const orig = table.apply.bind(table);
    let inFlight = 0;
    let maxInFlight = 0;
    table.apply = async (op) => {
      inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      if (op.op === 'add-service' && op.service.scheduler === 'twos') return { ok: false, code: 'ENOENT', message: 'no ip_vs_twos' };
      return orig(op);
    };
    const store = memoryStore();
    const c = new IpvsController(table, store);
    const want: VirtualServerTable = { services: [svc('10.0.0.1'), svc('10.0.0.2', 'twos')] };
    const [r1, r2] = await Promise.all([c.apply(want), c.apply(want)]);
    expect(maxInFlight).toBe(1);
    expect(r1.ok && r1.value.failed.map((f) => f.code)).toEqual(['ENOENT']);
    expect(r2.ok && r2.value.applied).toEqual([]);
    expect(store.ids).toEqual(['TCP 10.0.0.1:80']);
  });
});
