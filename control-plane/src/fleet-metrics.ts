/**
 * Fleet and ingest metrics on the control plane's /metrics, read at scrape time (at most once
 * every CACHE_MS however often Prometheus scrapes; every replica reports the same fleet, so
 * dashboards take max by the labels):
 *
 *   vigil_fleet_director_up{site,cluster,director}            1: a fresh report (30 s)
 *   vigil_fleet_director_report_age_seconds{...}              since the last report
 *   vigil_fleet_director_drift{...}                           1: not on the desired revision
 *   vigil_fleet_director_maintenance{...}, vigil_fleet_director_enrolled{...}
 *   vigil_fleet_instance_masters{site,cluster,vrrp_instance}  directors claiming MASTER (2+: split brain)
 *   vigil_fleet_cluster_desired_revision{site,cluster}
 *   vigil_ingest_reports_total, vigil_ingest_groups_total, vigil_ingest_events_total (this replica)
 */
import { Counter, Gauge } from 'prom-client';
import type { Db } from './db.ts';
import type { Metrics } from './metrics.ts';
import type { ReportCommitter } from './services/agents/commit.ts';
import { fleetGauges, type FleetGauges } from './services/fleet/gauges.ts';

const CACHE_MS = 5000;

export function registerFleetMetrics(metrics: Metrics, deps: { db: Db; committer?: ReportCommitter; onError?: (e: unknown) => void }): void {
  const registers = [metrics.registry];
  let cached: { at: number; value: Promise<FleetGauges> } | undefined;
  const read = (): Promise<FleetGauges> => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const value = fleetGauges(deps.db).catch((e: unknown) => {
        deps.onError?.(e);
        cached = undefined;
        return { directors: [], instances: [], clusters: [] } satisfies FleetGauges;
      });
      cached = { at: Date.now(), value };
    }
    return cached.value;
  };
  const directorLabels = ['site', 'cluster', 'director'] as const;
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, f: FleetGauges) => void) =>
    new Gauge<L>({
      name, help, labelNames, registers,
      async collect() {
        const f = await read();
        this.reset();
        fill(this, f);
      },
    });
  gauge('vigil_fleet_director_up', 'director reports fresh (1) or is silent (0)', directorLabels, (g, f) => f.directors.forEach((d) => g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.up ? 1 : 0)));
  gauge('vigil_fleet_director_report_age_seconds', 'seconds since the director last reported', directorLabels, (g, f) => f.directors.forEach((d) => d.ageSeconds !== undefined && g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.ageSeconds)));
  gauge('vigil_fleet_director_drift', 'director does not run the desired revision (1)', directorLabels, (g, f) => f.directors.forEach((d) => g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.drift ? 1 : 0)));
  gauge('vigil_fleet_director_maintenance', 'director in maintenance (1)', directorLabels, (g, f) => f.directors.forEach((d) => g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.maintenance ? 1 : 0)));
  gauge('vigil_fleet_director_enrolled', 'director has an agent credential (1)', directorLabels, (g, f) => f.directors.forEach((d) => g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.enrolled ? 1 : 0)));
  gauge('vigil_fleet_director_applied_revision', 'revision the director runs', directorLabels, (g, f) => f.directors.forEach((d) => d.appliedRevision !== null && g.set({ site: d.site, cluster: d.cluster, director: d.director }, d.appliedRevision)));
  gauge('vigil_fleet_instance_masters', 'directors claiming MASTER of the instance by a fresh report (2+: split brain)', ['site', 'cluster', 'vrrp_instance'] as const, (g, f) => f.instances.forEach((i) => g.set({ site: i.site, cluster: i.cluster, vrrp_instance: i.instance }, i.masters)));
  gauge('vigil_fleet_cluster_desired_revision', 'the cluster\'s current spec revision', ['site', 'cluster'] as const, (g, f) => f.clusters.forEach((c) => c.desiredRevision !== null && g.set({ site: c.site, cluster: c.cluster }, c.desiredRevision)));

  const committer = deps.committer;
  if (!committer) return;
  const counter = (name: string, help: string, read: () => number) => {
    let last = 0;
    return new Counter({
      name, help, registers,
      collect() {
        const now = read();
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  counter('vigil_ingest_reports_total', 'agent reports committed by this replica', () => committer.reports);
  counter('vigil_ingest_groups_total', 'group commits (transactions) of agent reports by this replica', () => committer.groups);
  counter('vigil_ingest_events_total', 'agent events stored by this replica', () => committer.events);
}
