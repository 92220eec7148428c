// @ts-check
/** Audit-log events and failover causes in words, for the timeline and the audit log. */

/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

export const CAUSES = /** @type {Record<string, string>} */ ({
  higher_priority: 'higher-priority advert',
  master_down: 'master down (adverts stopped)',
  priority_zero: 'priority 0 (master left)',
  tracked_object: 'tracked object',
  interface: 'interface',
  maintenance: 'maintenance',
  move_master: 'mastership moved by an operator',
  rollout: 'rollout',
  shutdown: 'shutdown',
  operator: 'operator request',
  other: 'other',
});

/**
 * One line saying what an event was.
 * @param {{ kind: string, instance?: string | null, details: Record<string, unknown>, director?: string | null }} e
 */
export function describeEvent(e) {
  const d = e.details ?? {};
  switch (e.kind) {
    case 'vrrp.transition': return `${e.instance ?? ''}: ${str(d.from).toUpperCase()} → ${str(d.to).toUpperCase()} (${str(d.reason)})`;
    case 'vrrp.split_brain': return `split brain on ${e.instance ?? ''}: ${Array.isArray(d.masters) ? d.masters.join(', ') : ''} all MASTER`;
    case 'vrrp.split_brain_resolved': return `split brain on ${e.instance ?? ''} resolved`;
    case 'spec.revision_created': return `spec revision r${str(d.revision)}${d.message ? `: ${str(d.message)}` : ''}`;
    case 'spec.rolled_back': return `rolled back to r${str(d.rollbackOf)} (as r${str(d.revision)})${d.message ? `: ${str(d.message)}` : ''}`;
    case 'config.applied': return `applied r${str(d.revision)}${d.fromCache ? ' (from its cache)' : ''}`;
    case 'config.rejected': return `rejected r${str(d.revision)}: ${str(d.reason)}`;
    case 'director.maintenance': return `maintenance ${d.on ? 'on' : 'off'} for ${str(d.director) || e.director || ''}`;
    case 'instance.move_master': return d.to ? `move master of ${e.instance ?? ''} to ${str(d.to)}` : `master of ${e.instance ?? ''} back to the spec's priorities`;
    case 'lb.realServer': return `${str(d.realServer)} in ${str(d.virtualServer)} ${d.up ? 'up' : 'down'}${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'lb.quorum': return `${str(d.virtualServer)} quorum ${d.up ? 'gained' : 'lost'}`;
    case 'director.enrolled': return `director ${str(d.name) || e.director || ''} enrolled`;
    case 'session.signed_in': return 'signed in to the dashboard';
    case 'session.signed_out': return 'signed out of the dashboard';
    default: {
      const text = str(d.name) || str(d.message) || '';
      return text ? `${e.kind}: ${text}` : e.kind;
    }
  }
}

/** The marker family of a timeline change: spec, operator action or problem. @param {string} kind */
export const markerClass = (kind) => (kind.startsWith('spec.') ? 'spec' : kind === 'director.maintenance' || kind === 'instance.move_master' ? 'action' : 'problem');
