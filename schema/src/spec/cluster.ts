/**
 * ClusterSpec: the desired state of one cluster (a set of directors sharing VRRP instances and
 * LVS services), stored by the control plane as immutable revisions and run by each agent
 * through `resolveDirectorConfig`.
 *
 * Outline (every keepalived keyword is named on its field):
 * ```
 * { version: 1,
 *   global:              global_defs parts that matter per director (vrrp_version, garp, strict, lvs_*)
 *   directors:           { [director]: { routerId, unicastSrcIp, mcastSrcIp, defaultInterface } }
 *   vrrpScripts:         { [name]: vrrp_script }
 *   trackFiles:          { [name]: track_file }
 *   trackProcesses:      { [name]: vrrp_track_process }
 *   vrrpInstances:       { [name]: vrrp_instance + directors: { [director]: override } }
 *   syncGroups:          { [name]: vrrp_sync_group }
 *   virtualServerGroups: { [name]: virtual_server_group }
 *   virtualServers:      [ virtual_server { realServers: [ real_server { checkers: [...] } ] } ] }
 * ```
 * Conventions: camelCase of keepalived names; durations are integer ms (`...Ms`); unknown
 * keys are rejected everywhere; defaults are keepalived's.
 */
import { z } from 'zod';
import { advertIntervalProblem, effectiveVersion, overrideOf } from './effective.ts';
import { DirectorSettings, GlobalSettings } from './global.ts';
import { VirtualServer, VirtualServerGroup } from './lvs.ts';
import { DirectorName, ObjectName, strict } from './primitives.ts';
import { SyncGroup, TrackFile, TrackProcess, VrrpScript } from './tracking.ts';
import { VrrpInstance } from './vrrp-instance.ts';

/** Current (and only) spec format version. */
export const CLUSTER_SPEC_VERSION = 1 as const;

export const ClusterSpec = strict({
  /** Format version of this document (always 1 for now). */
  version: z.literal(CLUSTER_SPEC_VERSION),
  global: GlobalSettings.default(GlobalSettings.parse({})),
  /** Every director of the cluster, with its node-local settings. */
  directors: z.record(DirectorName, DirectorSettings).default({}),
  vrrpScripts: z.record(ObjectName, VrrpScript).default({}),
  trackFiles: z.record(ObjectName, TrackFile).default({}),
  trackProcesses: z.record(ObjectName, TrackProcess).default({}),
  vrrpInstances: z.record(ObjectName, VrrpInstance).default({}),
  syncGroups: z.record(ObjectName, SyncGroup).default({}),
  virtualServerGroups: z.record(ObjectName, VirtualServerGroup).default({}),
  virtualServers: z.array(VirtualServer).default([]),
}).superRefine((spec, ctx) => {
  // The advert interval's valid range depends on the effective version, which may come from
  // global_defs, the instance or an override: check every place an interval or version is set.
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    const instanceProblem = advertIntervalProblem(effectiveVersion(spec.global, inst), inst.advertIntervalMs);
    if (instanceProblem) {
      ctx.addIssue({
        code: 'custom', path: ['vrrpInstances', name, 'advertIntervalMs'], message: instanceProblem,
        params: { specCode: 'SHAPE_ADVERT_INTERVAL', hint: 'VRRPv2: 1000..255000 in steps of 1000; VRRPv3: 10..40950 in steps of 10' },
      });
    }
    for (const dir of Object.keys(inst.directors)) {
      const ov = overrideOf(inst, dir);
      if (ov.advertIntervalMs === undefined && ov.version === undefined) continue;
      const problem = advertIntervalProblem(effectiveVersion(spec.global, inst, ov), ov.advertIntervalMs ?? inst.advertIntervalMs);
      if (problem && problem !== instanceProblem) {
        ctx.addIssue({
          code: 'custom', path: ['vrrpInstances', name, 'directors', dir, ov.advertIntervalMs !== undefined ? 'advertIntervalMs' : 'version'], message: problem,
          params: { specCode: 'SHAPE_ADVERT_INTERVAL', hint: 'VRRPv2: 1000..255000 in steps of 1000; VRRPv3: 10..40950 in steps of 10' },
        });
      }
    }
  }
});
export type ClusterSpec = z.infer<typeof ClusterSpec>;
/** What callers may pass in (defaults not yet applied). */
export type ClusterSpecInput = z.input<typeof ClusterSpec>;
