/**
 * Reading what agents report (the `state` of POST /v1/agent/reports, stored per director): the
 * one place that knows its shape and when a report is too old to count. The fleet view, split
 * brain detection and the rollout order all read it through here.
 */

/** A director silent for longer than this no longer counts as master of anything. */
export const REPORT_FRESH_MS = 30_000;

/** What an agent reports about one VRRP instance (the part the control plane reads). */
export interface ReportedInstance {
  name: string;
  state: string;
  effectivePriority?: number;
}

export function reportedInstances(state: unknown): ReportedInstance[] {
  const list = (state as { instances?: unknown })?.instances;
  return Array.isArray(list) ? list.filter((i): i is ReportedInstance => typeof i?.name === 'string' && typeof i?.state === 'string') : [];
}

/** The reported state of `instance` in keepalived's words (MASTER, BACKUP, ...), if reported. */
export function reportedState(state: unknown, instance: string): string | undefined {
  return reportedInstances(state).find((i) => i.name === instance)?.state.toUpperCase();
}

export function isFresh(lastSeenAt: Date | number | null | undefined, now = Date.now()): boolean {
  if (lastSeenAt === null || lastSeenAt === undefined) return false;
  return now - (typeof lastSeenAt === 'number' ? lastSeenAt : lastSeenAt.getTime()) < REPORT_FRESH_MS;
}
