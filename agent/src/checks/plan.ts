/**
 * The cluster spec's virtual servers → one plan per (virtual server, real server, checker): what
 * to probe, where, and on which timing. Pure. The HTTP checkers get their `virtualhost` default
 * from the real server, then the virtual server (keepalived's inheritance).
 *
 * A plan's `id` is its definition: the real server's identity (lb/identity.ts) plus everything
 * that makes the checker what it is (type and options, target, timing, timeout). Two revisions
 * that keep a checker as it was give it the same id, so a reload keeps its state (keepalived's
 * migrate_checkers); an edited checker gets a new id and starts over. The real server's weight
 * is not part of it: a weight change keeps the checker running.
 */
import type { Checker, ClusterSpec } from '#schema';
import { lbIdentities } from '../lb/identity.ts';
import { effectiveCheckTiming, type CheckTiming } from './timing.ts';

export interface CheckerPlan {
  /** The checker's identity and definition (see the file comment). */
  id: string;
  /** The virtual server's identity (ha_suspend is per virtual server). */
  vsKey: string;
  /** The real server's identity: where the result goes in the health map. */
  rsKey: string;
  checker: Checker;
  /** The real server (connect_ip / connect_port in the checker override it). */
  target: { address: string; port: number };
  timing: CheckTiming;
  /** Hard deadline of one attempt: connect_timeout, or misc_timeout (else delay_loop) for MISC_CHECK. */
  timeoutMs: number;
  /** The real server's configured weight (dynamic weights replace it). */
  baseWeight: number;
}

export function checkerPlans(virtualServers: ClusterSpec['virtualServers']): CheckerPlan[] {
  const out: CheckerPlan[] = [];
  const ids = lbIdentities(virtualServers);
  const seen = new Map<string, number>();
  virtualServers.forEach((vs, vsIndex) => {
    vs.realServers.forEach((rs, rsIndex) => {
      rs.checkers.forEach((c) => {
        const timing = effectiveCheckTiming(vs, rs, c);
        let checker: Checker = c;
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.virtualhost === undefined) {
          const vhost = rs.virtualhost ?? vs.virtualhost;
          if (vhost !== undefined) checker = { ...c, virtualhost: vhost };
        }
        const timeoutMs = c.type === 'MISC_CHECK' ? (c.miscTimeoutMs ?? timing.delayLoopMs) : timing.connectTimeoutMs;
        const rsKey = ids.rs[vsIndex]![rsIndex]!;
        const target = { address: rs.address, port: rs.port ?? vs.port ?? 0 };
        const base = `${rsKey} ${JSON.stringify({ checker, target, timing, timeoutMs })}`;
        // The same checker twice on one real server (rare, legal): numbered in order.
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        out.push({
          id: n === 1 ? base : `${base}#${n}`,
          vsKey: ids.vs[vsIndex]!,
          rsKey,
          checker,
          target,
          timing,
          timeoutMs,
          baseWeight: rs.weight,
        });
      });
    });
  });
  return out;
}
