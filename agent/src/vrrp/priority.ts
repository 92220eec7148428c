/**
 * Effective priority from the configured base and tracked objects (track_interface,
 * track_script, track_file, track_process, track_bfd), with keepalived semantics
 * (keepalived.conf(5), vrrp_instance tracking):
 *
 * - weight > 0: added while the object is up.
 * - weight < 0: added (so subtracted) while the object is down.
 * - weight 0: the object being down puts the instance in FAULT.
 * - `reverse`: the object's status is inverted before the rules above ("up" counts as down),
 *   which is how keepalived lets e.g. a file's presence lower priority.
 * - The result is clamped to 1..254: tracking can never make a router the owner nor remove it.
 * - Base priority 255 (address owner) is never changed by weights (RFC 5798 §5.2.4 owner is
 *   fixed), but a weight-0 failure still faults it: an owner whose uplink is down must not hold
 *   the VIP.
 */

export interface TrackedObjectStatus {
  /** For logs and the fault reason, e.g. `script:chk_haproxy`, `interface:eth1`. */
  name: string;
  up: boolean;
  /** -253..253 (keepalived range); 0 = fault on failure. */
  weight: number;
  reverse?: boolean;
}

export interface EffectivePriority {
  priority: number;
  /** True when some weight-0 object is down (after `reverse`). */
  fault: boolean;
  /** Names of the weight-0 objects causing the fault. */
  faultedBy: string[];
}

export const PRIORITY_OWNER = 255;
export const PRIORITY_MIN_BACKUP = 1;
export const PRIORITY_MAX_BACKUP = 254;

/** Computes the effective priority; throws on a base or weight outside keepalived's ranges. */
export function effectivePriority(basePriority: number, tracked: readonly TrackedObjectStatus[]): EffectivePriority {
  if (!Number.isInteger(basePriority) || basePriority < 1 || basePriority > 255) {
    throw new RangeError(`base priority ${basePriority} is outside 1..255`);
  }
  let sum = basePriority;
  const faultedBy: string[] = [];
  for (const t of tracked) {
    if (!Number.isInteger(t.weight) || t.weight < -253 || t.weight > 253) {
      throw new RangeError(`tracked object ${t.name}: weight ${t.weight} is outside -253..253`);
    }
    const up = t.reverse ? !t.up : t.up;
    if (t.weight === 0) {
      if (!up) faultedBy.push(t.name);
    } else if (t.weight > 0 && up) sum += t.weight;
    else if (t.weight < 0 && !up) sum += t.weight;
  }
  const priority = basePriority === PRIORITY_OWNER ? PRIORITY_OWNER : Math.min(PRIORITY_MAX_BACKUP, Math.max(PRIORITY_MIN_BACKUP, sum));
  return { priority, fault: faultedBy.length > 0, faultedBy };
}
