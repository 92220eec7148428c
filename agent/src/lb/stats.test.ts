import { describe, expect, it } from 'vitest';
import { NO_FLAGS, type ActualTable, type LbStats } from './model.ts';
import { lbMetrics, lbStatus } from './stats.ts';

const stats = (conns: number): LbStats => ({ conns, inPkts: conns * 5, outPkts: conns * 4, inBytes: conns * 100, outBytes: conns * 900, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });
const actual: ActualTable = { services: [{
  key: { kind: 'address', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 }, scheduler: 'rr', flags: { ...NO_FLAGS }, stats: stats(8),
  destinations: [{ family: 'inet6', address: '2001:db8::10', port: 443, method: 'NAT', weight: 2, upperThreshold: 0, lowerThreshold: 0, activeConns: 1, inactiveConns: 3, persistentConns: 0, stats: stats(6) }],
}] };

describe('IPVS stats views', () => {
  it('status rows name services and destinations as ipvsadm does', () => {
    expect(lbStatus(actual)).toEqual([{ service: 'TCP [2001:db8::1]:443', scheduler: 'rr', conns: 8, inBytes: 800, outBytes: 7200,
      destinations: [{ destination: '[2001:db8::10]:443', method: 'NAT', weight: 2, activeConns: 1, inactiveConns: 3, conns: 6 }] }]);
  });

  it('metrics: per-service and per-destination counters and gauges', () => {
    const m = lbMetrics(actual);
    expect(m.find((s) => s.name === 'vigil_ipvs_service_connections_total')).toEqual({ name: 'vigil_ipvs_service_connections_total', labels: { service: 'TCP [2001:db8::1]:443' }, value: 8 });
    expect(m.filter((s) => s.labels.destination === '[2001:db8::10]:443').map((s) => `${s.name}=${s.value}`)).toEqual([
      'vigil_ipvs_destination_connections_total=6', 'vigil_ipvs_destination_in_packets_total=30', 'vigil_ipvs_destination_out_packets_total=24',
      'vigil_ipvs_destination_in_bytes_total=600', 'vigil_ipvs_destination_out_bytes_total=5400', 'vigil_ipvs_destination_weight=2',
      'vigil_ipvs_destination_active_connections=1', 'vigil_ipvs_destination_inactive_connections=3',
    ]);
  });
});
