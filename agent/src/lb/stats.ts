/**
 * IPVS counters read back from the kernel -> what `vigil status` shows and /metrics exports.
 * Pure: takes the table `IpvsTable.read()` returned.
 */
import { destinationId, serviceId, type ActualTable, type LbStats } from './model.ts';

export interface LbStatusRow {
  service: string;
  scheduler: string;
  conns: number;
  inBytes: number;
  outBytes: number;
  destinations: { destination: string; method: string; weight: number; activeConns: number; inactiveConns: number; conns: number }[];
}

export function lbStatus(actual: ActualTable): LbStatusRow[] {
  return actual.services.map((s) => ({
    service: serviceId(s.key),
    scheduler: s.scheduler,
    conns: s.stats.conns,
    inBytes: s.stats.inBytes,
    outBytes: s.stats.outBytes,
    destinations: s.destinations.map((d) => ({
      destination: destinationId(d), method: d.method, weight: d.weight, activeConns: d.activeConns, inactiveConns: d.inactiveConns, conns: d.stats.conns,
    })),
  }));
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const COUNTERS: [keyof LbStats, string][] = [
  ['conns', 'connections_total'], ['inPkts', 'in_packets_total'], ['outPkts', 'out_packets_total'],
  ['inBytes', 'in_bytes_total'], ['outBytes', 'out_bytes_total'],
];

/** Prometheus samples: vigil_ipvs_service_* and vigil_ipvs_destination_* (counters + gauges). */
export function lbMetrics(actual: ActualTable): MetricSample[] {
  const out: MetricSample[] = [];
  for (const s of actual.services) {
    const service = serviceId(s.key);
    for (const [field, name] of COUNTERS) out.push({ name: `vigil_ipvs_service_${name}`, labels: { service }, value: s.stats[field] });
    for (const d of s.destinations) {
      const labels = { service, destination: destinationId(d) };
      for (const [field, name] of COUNTERS) out.push({ name: `vigil_ipvs_destination_${name}`, labels, value: d.stats[field] });
      out.push({ name: 'vigil_ipvs_destination_weight', labels, value: d.weight });
      out.push({ name: 'vigil_ipvs_destination_active_connections', labels, value: d.activeConns });
      out.push({ name: 'vigil_ipvs_destination_inactive_connections', labels, value: d.inactiveConns });
    }
  }
  return out;
}
