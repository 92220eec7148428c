import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type VirtualServerTable } from '../../lb/model.ts';
import { FakeIpvsTable } from './fake-table.ts';
import { syncIpvs } from './sync.ts';

const want: VirtualServerTable = { services: [{
  key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 }, scheduler: 'rr', flags: { ...NO_FLAGS },
  destinations: [{ family: 'inet', address: '10.0.1.1', port: 80, method: 'NAT', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
}] };
const own = { owned: new Set<string>(), ownAll: false };

describe('syncIpvs against the fake table', () => {
  it('converges in one pass and the next pass does nothing', async () => {
    const t = new FakeIpvsTable();
    const first = await syncIpvs(t, want, own);
    expect(first.ok && first.value.applied.map((o) => o.op)).toEqual(['add-service', 'add-destination']);
    const second = await syncIpvs(t, want, own);
    expect(second).toEqual({ ok: true, value: { applied: [], failed: [] } });
  });

  it('reports a failed operation and keeps going', async () => {
    const t = new FakeIpvsTable();
    const orig = t.apply.bind(t);
    t.apply = async (op) => (op.op === 'add-service' ? { ok: false, code: 'ENOENT', message: 'no scheduler' } : orig(op));
    const r = await syncIpvs(t, want, own);
    expect(r.ok && r.value.failed.map((f) => f.code)).toEqual(['ENOENT', 'ESRCH']);
  });
});
