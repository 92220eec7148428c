/**
 * vrrp_sync_group: member instances move together (keepalived.conf(5) §vrrp_sync_group).
 * Needed for LVS-NAT, where the outside VIP and the inside gateway VIP must be on one director.
 *
 * keepalived semantics, as a pure function of the members' states:
 * - One member faulted (its own weight-0 tracker or interface) → every member goes FAULT;
 *   they leave FAULT only when no member has a fault of its own.
 * - One member becomes MASTER → every BACKUP member becomes MASTER too.
 * - One member drops from MASTER to BACKUP → every MASTER member drops to BACKUP too (and,
 *   like an admin handover, tells its peers with priority 0 so their group follows quickly).
 *
 * The runtime calls {@link syncGroupFollow} after any member transition and feeds the returned
 * events to the named members. Transitions those events cause are 'sync_group' ones; calling
 * again for them yields nothing new, so the cascade ends after one round.
 */
import type { Effect, InstanceState, VrrpEvent, VrrpStateName } from './state.ts';

export interface SyncGroupMember {
  name: string;
  state: InstanceState;
}

export interface MemberTransition {
  name: string;
  from: VrrpStateName;
  to: VrrpStateName;
}

/** A fault the member has by itself (not one imposed by the group). */
export function ownFault(s: InstanceState): boolean {
  return s.trackFault || !s.interfaceUp;
}

/**
 * Events that bring the other members in line after `trigger` (omit it to only resync the
 * fault flags, e.g. after a reload). Members in 'initialize' or 'stopped' are left alone.
 */
export function syncGroupFollow(members: readonly SyncGroupMember[], trigger?: MemberTransition): Array<{ name: string; event: VrrpEvent }> {
  const out: Array<{ name: string; event: VrrpEvent }> = [];
  const running = (m: SyncGroupMember) => m.state.state !== 'initialize' && m.state.state !== 'stopped';
  for (const m of members) {
    const othersFaulted = members.some((o) => o.name !== m.name && running(o) && ownFault(o.state));
    if (m.state.groupFault !== othersFaulted) out.push({ name: m.name, event: { type: 'syncGroupFault', fault: othersFaulted } });
  }
  if (!trigger || out.some((e) => e.event.type === 'syncGroupFault' && e.event.fault)) return out;
  const others = members.filter((m) => m.name !== trigger.name && running(m));
  if (trigger.to === 'master') {
    for (const m of others) if (m.state.state === 'backup') out.push({ name: m.name, event: { type: 'syncGroup', target: 'master' } });
  } else if (trigger.from === 'master' && trigger.to === 'backup') {
    for (const m of others) if (m.state.state === 'master') out.push({ name: m.name, event: { type: 'syncGroup', target: 'backup' } });
  }
  return out;
}

/**
 * keepalived (vrrp_state_master_rx): a member that is master and re-announces its VIPs because
 * it heard a lower-priority master (a split brain healing, `effects` of that step) has every
 * other member that is master re-announce too. On the other segments the loser's members yield
 * by following their group (sync_group, no advert there the winner would hear as lower), so
 * nothing else sends the hosts that followed the loser on those segments back. Only the
 * trigger's own burst counts: the members' bursts do not cascade.
 */
export function syncGroupLowerPrioFollow(members: readonly SyncGroupMember[], trigger: string, effects: readonly Effect[]): Array<{ name: string; event: VrrpEvent }> {
  if (!effects.some((e) => e.type === 'sendGarp' && e.kind === 'lower_prio')) return [];
  return members.filter((m) => m.name !== trigger && m.state.state === 'master').map((m) => ({ name: m.name, event: { type: 'syncGroupLowerPrio' } }));
}

/**
 * The group's own state, for its notify hooks (keepalived's sgroup->state): FAULT while any
 * member is faulted, MASTER once every member is, BACKUP when a member is backup, STOP once every
 * member stopped; null while members are still initialising (no group notify yet).
 */
export function syncGroupState(memberStates: readonly VrrpStateName[]): Exclude<VrrpStateName, 'initialize'> | null {
  if (memberStates.length === 0) return null;
  if (memberStates.some((s) => s === 'fault')) return 'fault';
  if (memberStates.every((s) => s === 'stopped')) return 'stopped';
  if (memberStates.every((s) => s === 'master')) return 'master';
  if (memberStates.some((s) => s === 'backup')) return 'backup';
  return null;
}
