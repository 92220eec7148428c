/**
 * How one director moves from the revision it runs to the cluster's current one. Pure.
 *
 * - If any instance's advertisement parameters change (what peers compare in every advert:
 *   VRID, VRRP version, advert_int, authentication, address family, the advertised VIPs,
 *   unicast peers), every director applies at one instant: the revision's creation time plus
 *   SYNC_DELAY_MS, time for every agent's long-poll to deliver it (clocks are NTP-synchronised
 *   on directors, as keepalived deployments already need for their logs).
 * - Otherwise, a director that is MASTER (by its fresh report) of a changed instance waits until
 *   every other fresh, enrolled member of that instance runs the new revision, at most
 *   HOLD_MAX_MS after the revision was created: backups first, master last.
 */
import { advertKey } from '../../../../schema/src/spec/advert-key.ts';
import type { ResolvedDirectorConfig } from '../../../../schema/src/spec/resolve.ts';
import { isFresh, reportedState } from './reported.ts';
import { sameJson } from './same-json.ts';

export const SYNC_DELAY_MS = 5000;
export const HOLD_MAX_MS = 60_000;

export interface RolloutPeer {
  name: string;
  appliedRevision: number | null;
  state: unknown;
  lastSeenAt: number | null;
}

export interface RolloutInput {
  director: string;
  current: ResolvedDirectorConfig;
  target: ResolvedDirectorConfig;
  targetRevision: number;
  revisionCreatedAt: number;
  now: number;
  peers: RolloutPeer[];
}

export type RolloutPlan = { kind: 'now' } | { kind: 'at'; applyAt: number } | { kind: 'hold'; waitingFor: string[] };

export { advertKey };

/**
 * An instance's advert key, computed once per instance object: the control plane's rendered
 * configs are cached and shared (config.ts), and a site-wide change plans two thousand rollouts
 * from them within a second.
 */
const adverts = new WeakMap<object, string>();
type Instance = ResolvedDirectorConfig['instances'][string];
function advertOf(i: Instance | undefined): string {
  if (!i) return advertKey(undefined);
  let a = adverts.get(i);
  if (a === undefined) {
    a = advertKey(i);
    adverts.set(i, a);
  }
  return a;
}

export function planRollout(o: RolloutInput): RolloutPlan {
  const names = new Set([...Object.keys(o.current.instances), ...Object.keys(o.target.instances)]);
  const changed = [...names].filter((n) => !sameJson(o.current.instances[n], o.target.instances[n]));
  if (changed.some((n) => advertOf(o.current.instances[n]) !== advertOf(o.target.instances[n]))) {
    const at = o.revisionCreatedAt + SYNC_DELAY_MS;
    return at > o.now ? { kind: 'at', applyAt: at } : { kind: 'now' };
  }
  if (o.now - o.revisionCreatedAt >= HOLD_MAX_MS) return { kind: 'now' };
  const fresh = (p: RolloutPeer) => isFresh(p.lastSeenAt, o.now);
  const me = o.peers.find((p) => p.name === o.director);
  const mastered = changed.filter((n) => me && fresh(me) && reportedState(me.state, n) === 'MASTER');
  if (mastered.length === 0) return { kind: 'now' };
  const waitingFor = o.peers
    .filter((p) => p.name !== o.director && fresh(p) && mastered.some((n) => reportedState(p.state, n) !== undefined))
    .filter((p) => (p.appliedRevision ?? 0) < o.targetRevision)
    .map((p) => p.name)
    .sort();
  return waitingFor.length ? { kind: 'hold', waitingFor } : { kind: 'now' };
}
