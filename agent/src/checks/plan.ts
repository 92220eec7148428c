/**
 * The cluster spec's virtual servers → one plan per (virtual server, real server, checker): what
 * to probe, where, and on which timing. Pure. The HTTP checkers get their `virtualhost` default
 * from the real server, then the virtual server (keepalived's inheritance).
 */
import type { Checker, ClusterSpec } from '#schema';
import { realServerKey } from '../lb/desired.ts';
import { effectiveCheckTiming, type CheckTiming } from './timing.ts';

export interface CheckerPlan {
  /** "<vs>/<rs>/<checker>" indexes: stable while the spec is. */
  id: string;
  vsIndex: number;
  rsIndex: number;
  /** {@link realServerKey}: where the result goes in the health map. */
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
  virtualServers.forEach((vs, vsIndex) => {
    vs.realServers.forEach((rs, rsIndex) => {
      rs.checkers.forEach((c, index) => {
        const timing = effectiveCheckTiming(vs, rs, c);
        let checker: Checker = c;
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.virtualhost === undefined) {
          const vhost = rs.virtualhost ?? vs.virtualhost;
          if (vhost !== undefined) checker = { ...c, virtualhost: vhost };
        }
        const timeoutMs = c.type === 'MISC_CHECK' ? (c.miscTimeoutMs ?? timing.delayLoopMs) : timing.connectTimeoutMs;
        out.push({
          id: `${vsIndex}/${rsIndex}/${index}`,
          vsIndex,
          rsIndex,
          rsKey: realServerKey(vsIndex, rsIndex),
          checker,
          target: { address: rs.address, port: rs.port ?? vs.port ?? 0 },
          timing,
          timeoutMs,
          baseWeight: rs.weight,
        });
      });
    });
  });
  return out;
}
