/**
 * Metrics about the fleet and about ingest.
 *
 * On the public /metrics (no names in them): vigil_ingest_reports_total, vigil_ingest_groups_total,
 * vigil_ingest_events_total (this replica's group commits of agent reports).
 *
 * At GET /v1/fleet/metrics (an API token with the viewer role; a site-scoped token sees its site),
 * in the Prometheus text format, read from the database at scrape time (every replica gives the
 * same answer; dashboards take max by the labels):
 *
 *   vigil_fleet_director_up{site,cluster,director}            1: a fresh report (30 s)
 *   vigil_fleet_director_report_age_seconds{...}              since the last report
 *   vigil_fleet_director_drift{...}                           1: not on the desired revision
 *   vigil_fleet_director_maintenance{...}, vigil_fleet_director_enrolled{...},
 *   vigil_fleet_director_applied_revision{...}
 *   vigil_fleet_instance_masters{site,cluster,vrrp_instance}  directors claiming MASTER (2+: split brain)
 *   vigil_fleet_cluster_desired_revision{site,cluster}
 *
 * Names of sites, clusters and directors are fleet data like GET /v1/fleet, so they sit behind
 * the same authorization (Prometheus sends the token: `authorization: { credentials_file: ... }`).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Metrics } from './metrics.ts';
import type { ReportCommitter } from './services/agents/commit.ts';
import type { FleetGauges } from './services/fleet/gauges.ts';
import type { HandshakeGate } from './handshake-gate.ts';

/** A counter read from a running total the component keeps (it grows by the difference at each scrape). */
function counterOf(metrics: Metrics, name: string, help: string, read: () => number): Counter {
  let last = 0;
  return new Counter({
    name, help, registers: [metrics.registry],
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}

export function registerIngestMetrics(metrics: Metrics, committer: ReportCommitter): void {
  const counter = (name: string, help: string, read: () => number) => counterOf(metrics, name, help, read);
  counter('vigil_ingest_reports_total', 'agent reports committed by this replica', () => committer.reports);
  counter('vigil_ingest_groups_total', 'group commits (transactions) of agent reports by this replica', () => committer.groups);
  counter('vigil_ingest_events_total', 'agent events stored by this replica', () => committer.events);
  counter('vigil_ingest_stalls_total', 'group commits that did not settle within the deadline (the ingest pool was replaced)', () => committer.stalls);
}

/** The agent WebSocket's handshake queue (handshake-gate.ts): a reconnect flood waiting, and what it refused. */
export function registerHandshakeMetrics(metrics: Metrics, gate: HandshakeGate): void {
  new Gauge({
    name: 'vigil_agent_handshakes_waiting', help: 'agent WebSocket handshakes waiting for their turn in this replica (a reconnect flood)', registers: [metrics.registry],
    collect() { this.set(gate.waiting); },
  });
  counterOf(metrics, 'vigil_agent_handshakes_refused_total', 'agent WebSocket handshakes refused with 503 because the queue was full (the agent retries later)', () => gate.refused);
}

/** The Prometheus text of the fleet gauges. */
export async function fleetMetricsText(f: FleetGauges): Promise<{ contentType: string; text: string }> {
  const registry = new Registry();
  const registers = [registry];
  const d = (name: string, help: string, value: (x: FleetGauges['directors'][number]) => number | undefined) => {
    const g = new Gauge({ name, help, labelNames: ['site', 'cluster', 'director'], registers });
    for (const x of f.directors) {
      const v = value(x);
      if (v !== undefined) g.set({ site: x.site, cluster: x.cluster, director: x.director }, v);
    }
  };
  d('vigil_fleet_director_up', 'director reports fresh (1) or is silent (0)', (x) => (x.up ? 1 : 0));
  d('vigil_fleet_director_report_age_seconds', 'seconds since the director last reported', (x) => x.ageSeconds);
  d('vigil_fleet_director_drift', 'director does not run the desired revision (1)', (x) => (x.drift ? 1 : 0));
  d('vigil_fleet_director_maintenance', 'director in maintenance (1)', (x) => (x.maintenance ? 1 : 0));
  d('vigil_fleet_director_enrolled', 'director has an agent credential (1)', (x) => (x.enrolled ? 1 : 0));
  d('vigil_fleet_director_applied_revision', 'revision the director runs', (x) => x.appliedRevision ?? undefined);
  const masters = new Gauge({ name: 'vigil_fleet_instance_masters', help: 'directors claiming MASTER of the instance by a fresh report (2+: split brain)', labelNames: ['site', 'cluster', 'vrrp_instance'], registers });
  for (const i of f.instances) masters.set({ site: i.site, cluster: i.cluster, vrrp_instance: i.instance }, i.masters);
  const desired = new Gauge({ name: 'vigil_fleet_cluster_desired_revision', help: 'the cluster\'s current spec revision', labelNames: ['site', 'cluster'], registers });
  for (const c of f.clusters) if (c.desiredRevision !== null) desired.set({ site: c.site, cluster: c.cluster }, c.desiredRevision);
  return { contentType: registry.contentType, text: await registry.metrics() };
}
