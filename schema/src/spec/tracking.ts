/**
 * Tracked objects (vrrp_script, track_file, vrrp_track_process), the references instances and
 * sync groups make to them, and notify hooks. keepalived keywords are named on each field.
 */
import { z } from 'zod';
import { Command, DurationMs, FilePath, InterfaceName, ObjectName, RunAs, TrackWeight, strict } from './primitives.ts';

/** `vrrp_script NAME { ... }` — a health probe whose result moves instance priority. */
export const VrrpScript = strict({
  /** `script "cmd args"` */
  script: Command,
  /** `interval` (default 1 s). */
  intervalMs: DurationMs.min(1).default(1000),
  /** `timeout` (default: the interval). SIGTERM on expiry. */
  timeoutMs: DurationMs.min(1).optional(),
  /** `weight -253..253` (default 0: failure puts tracking instances in FAULT). */
  weight: TrackWeight.default(0),
  /** `weight W reverse`: the weight applies on success instead of failure. */
  reverse: z.boolean().default(false),
  /** `rise N` successes before OK (default 1). */
  rise: z.number().int().min(1).default(1),
  /** `fall N` failures before FAILED (default 1). */
  fall: z.number().int().min(1).default(1),
  /** `user u[:g]` (default global `scriptUser`). */
  user: RunAs.optional(),
  /** `init_fail`: start in the failed state. */
  initFail: z.boolean().default(false),
});
export type VrrpScript = z.infer<typeof VrrpScript>;

/** `track_file NAME { file PATH; weight W [reverse]; init_file [VAL] [overwrite] }`. */
export const TrackFile = strict({
  /** `file PATH`: holds an integer; value * weight adjusts priority (non-zero with weight 0 = FAULT). */
  file: FilePath,
  /** `weight` (keepalived default 1). */
  weight: TrackWeight.default(1),
  reverse: z.boolean().default(false),
  /** `init_file [VAL] [overwrite]`: create the file with VAL at startup. */
  initFile: strict({ value: z.number().int().default(0), overwrite: z.boolean().default(false) }).optional(),
});
export type TrackFile = z.infer<typeof TrackFile>;

/** `vrrp_track_process NAME { ... }` — watched through the netlink proc connector. */
export const TrackProcess = strict({
  /** `process NAME [args...]` */
  process: z.string().min(1).max(4096),
  /** `param_match initial|partial|exact` (how args are matched; default exact when args given). */
  paramMatch: z.enum(['exact', 'initial', 'partial']).optional(),
  /** `full_command`: match against the full command line, not just the name. */
  fullCommand: z.boolean().default(false),
  /** `weight` (default 0: FAULT when quorum is lost). */
  weight: TrackWeight.default(0),
  reverse: z.boolean().default(false),
  /** `quorum N` minimum number of processes (default 1). */
  quorum: z.number().int().min(1).default(1),
  /** `quorum_max N` maximum number of processes. */
  quorumMax: z.number().int().min(1).optional(),
  /** `delay`, `fork_delay`, `terminate_delay` (seconds, fractional) */
  delayMs: DurationMs.optional(),
  forkDelayMs: DurationMs.optional(),
  terminateDelayMs: DurationMs.optional(),
});
export type TrackProcess = z.infer<typeof TrackProcess>;

/** One `track_interface { IF [weight W [reverse]] }` line. Default weight 0: FAULT when down. */
export const TrackInterfaceRef = strict({
  interface: InterfaceName,
  weight: TrackWeight.default(0),
  reverse: z.boolean().default(false),
});
export type TrackInterfaceRef = z.infer<typeof TrackInterfaceRef>;

/**
 * One `track_script|track_file|track_process { NAME [weight W [reverse]] }` line. Without
 * `weight` the tracked object's own weight applies (keepalived semantics).
 */
export const TrackRef = strict({
  name: ObjectName,
  weight: TrackWeight.optional(),
  reverse: z.boolean().optional(),
});
export type TrackRef = z.infer<typeof TrackRef>;

/** The tracking blocks shared by `vrrp_instance` and `vrrp_sync_group`. */
export const trackingFields = {
  /** `track_interface {}` */
  trackInterfaces: z.array(TrackInterfaceRef).default([]),
  /** `track_script {}` (names of `vrrpScripts`) */
  trackScripts: z.array(TrackRef).default([]),
  /** `track_file {}` (names of `trackFiles`) */
  trackFiles: z.array(TrackRef).default([]),
  /** `track_process {}` (names of `trackProcesses`) */
  trackProcesses: z.array(TrackRef).default([]),
};

/**
 * Notify hooks (`notify_master`, `notify_backup`, `notify_fault`, `notify_stop`, `notify`,
 * `notify_master_rx_lower_pri`). Vigil runs them in order per instance (keepalived does not:
 * issues #996/#1055); `any` gets `INSTANCE|GROUP name STATE priority` appended like keepalived.
 */
export const NotifyHooks = strict({
  master: Command.optional(),
  backup: Command.optional(),
  fault: Command.optional(),
  stop: Command.optional(),
  /** `notify`: called on every transition with "TYPE NAME STATE PRIORITY" appended. */
  any: Command.optional(),
  /** `notify_master_rx_lower_pri` (instances only). */
  masterRxLowerPri: Command.optional(),
  /** `notify_deleted` (sync groups, and instances on reload). */
  deleted: Command.optional(),
  /** user to run hooks as (`notify_* "cmd" user[:group]`; default global scriptUser). */
  user: RunAs.optional(),
});
export type NotifyHooks = z.infer<typeof NotifyHooks>;

/** `vrrp_sync_group NAME { group { ... } ... }` — instances that change state together. */
export const SyncGroup = strict({
  /** `group { VI_1 VI_2 }`: names of `vrrpInstances`. */
  group: z.array(ObjectName).min(1, 'a sync group needs at least one instance (usually two)'),
  ...trackingFields,
  notify: NotifyHooks.optional(),
  /** `notify_priority_changes` */
  notifyPriorityChanges: z.boolean().default(false),
  /** `sync_group_tracking_weight`: allow non-zero weights on member trackers. */
  trackingWeight: z.boolean().default(false),
});
export type SyncGroup = z.infer<typeof SyncGroup>;
