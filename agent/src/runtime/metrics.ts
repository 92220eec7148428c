/**
 * The agent's Prometheus text: VRRP instance state, priorities and counters, real-server health
 * and the data plane's counters (lb/stats.ts). Pure: status in, exposition text out; the CLI
 * serves it on `--metrics-listen ADDR:PORT` at /metrics.
 */
import type { ActualTable } from '../lb/model.ts';
import { lbMetrics, type MetricSample } from '../lb/stats.ts';
import { keepalivedCompatMetrics } from '../metrics/keepalived-compat.ts';
import type { AgentStatus } from './status.ts';
import type { RealServerStatus } from './lb.ts';

const STATES = ['INITIALIZE', 'BACKUP', 'MASTER', 'FAULT', 'STOPPED'];
const HELP: Record<string, string> = {
  vigil_vrrp_state: 'VRRP state of the instance (1 for the current state label)',
  vigil_vrrp_priority: 'effective priority',
  vigil_vrrp_base_priority: 'configured priority',
  vigil_vrrp_adverts_received_total: 'adverts received and accepted',
  vigil_vrrp_adverts_sent_total: 'adverts sent',
  vigil_vrrp_transitions_total: 'state transitions',
  vigil_vrrp_become_master_total: 'transitions into MASTER',
  vigil_vrrp_release_master_total: 'transitions out of MASTER',
  vigil_vrrp_dropped_total: 'packets dropped, by reason',
  vigil_real_server_up: 'real server health (1 up, 0 down)',
  vigil_real_server_weight: 'real server weight in the data plane (0 when drained or inhibited)',
};

/**
 * `keepalivedNames` (default on; `vigil agent --keepalived-metrics off`) adds the names of the
 * two keepalived exporters (metrics/keepalived-compat.ts) so existing dashboards keep working.
 */
export function renderMetrics(status: AgentStatus, lb?: { realServers: RealServerStatus[]; table: ActualTable | undefined }, options: { keepalivedNames?: boolean } = {}): string {
  const samples: MetricSample[] = [];
  for (const i of status.instances) {
    const l = { instance: i.name, vrid: String(i.vrid) };
    for (const st of STATES) samples.push({ name: 'vigil_vrrp_state', labels: { ...l, state: st }, value: i.state === st ? 1 : 0 });
    samples.push({ name: 'vigil_vrrp_priority', labels: l, value: i.priority });
    samples.push({ name: 'vigil_vrrp_base_priority', labels: l, value: i.basePriority });
    const c = i.counters;
    const n = (k: string) => (typeof c[k] === 'number' ? c[k] : 0);
    samples.push({ name: 'vigil_vrrp_adverts_received_total', labels: l, value: n('advertsRx') });
    samples.push({ name: 'vigil_vrrp_adverts_sent_total', labels: l, value: n('advertsTx') });
    samples.push({ name: 'vigil_vrrp_transitions_total', labels: l, value: n('transitions') });
    samples.push({ name: 'vigil_vrrp_become_master_total', labels: l, value: n('becomeMaster') });
    samples.push({ name: 'vigil_vrrp_release_master_total', labels: l, value: n('releaseMaster') });
    const drops = typeof c.drops === 'object' ? c.drops : {};
    for (const [reason, count] of Object.entries(drops)) samples.push({ name: 'vigil_vrrp_dropped_total', labels: { ...l, reason }, value: count });
  }
  for (const r of lb?.realServers ?? []) {
    const l = { virtual_server: r.virtualServer, real_server: `${r.address}:${r.port}` };
    samples.push({ name: 'vigil_real_server_up', labels: l, value: r.up ? 1 : 0 });
    samples.push({ name: 'vigil_real_server_weight', labels: l, value: r.weight });
  }
  if (lb?.table) samples.push(...lbMetrics(lb.table));
  const types: Record<string, string> = {};
  const help: Record<string, string> = { ...HELP };
  if (options.keepalivedNames !== false) {
    const compat = keepalivedCompatMetrics(status, lb?.table);
    samples.push(...compat.samples);
    Object.assign(help, compat.help);
    Object.assign(types, compat.types);
  }
  // One block per metric (HELP, TYPE, every sample): Prometheus refuses a scrape that names a
  // metric's TYPE twice, as per-instance order would with two instances.
  const firstAt = new Map<string, number>();
  samples.forEach((s, i) => { if (!firstAt.has(s.name)) firstAt.set(s.name, i); });
  samples.sort((a, b) => firstAt.get(a.name)! - firstAt.get(b.name)!);
  const out: string[] = [];
  let last = '';
  for (const s of samples) {
    if (s.name !== last) {
      last = s.name;
      out.push(`# HELP ${s.name} ${help[s.name] ?? s.name.replace(/_/g, ' ')}`, `# TYPE ${s.name} ${types[s.name] ?? (s.name.endsWith('_total') ? 'counter' : 'gauge')}`);
    }
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
    out.push(`${s.name}{${labels}} ${s.value}`);
  }
  return `${out.join('\n')}\n`;
}
