import { ReportedStatus, type ReportedInstance } from '../../../../schema/src/wire/status.ts';

/**
 * Reading what agents report (the `state` of POST /v1/agent/reports, stored per director): the
 * one place that knows its shape and when a report is too old to count. The fleet view, split
 * brain detection and the rollout order all read it through here.
 */

/** A director silent for longer than this no longer counts as master of anything. */
export const REPORT_FRESH_MS = 30_000;

/**
 * The instances a director reported, parsed with the wire contract (reports are parsed on the
 * way in; rows written by older versions are parsed here too, and a malformed one reads as
 * nothing reported rather than as a claim).
 */
export function reportedInstances(state: unknown): ReportedInstance[] {
  const r = ReportedStatus.safeParse(state ?? {});
  return r.success ? r.data.instances : [];
}

export type { ReportedInstance };

/** The reported state of `instance` in keepalived's words (MASTER, BACKUP, ...), if reported. */
export function reportedState(state: unknown, instance: string): string | undefined {
  return reportedInstances(state).find((i) => i.name === instance)?.state.toUpperCase();
}

export function isFresh(lastSeenAt: Date | number | null | undefined, now = Date.now()): boolean {
  if (lastSeenAt === null || lastSeenAt === undefined) return false;
  return now - (typeof lastSeenAt === 'number' ? lastSeenAt : lastSeenAt.getTime()) < REPORT_FRESH_MS;
}
