/**
 * The wire form of `ResolvedDirectorConfig` (spec/resolve.ts): what GET /v1/agent/config
 * carries and what the agent caches. The agent parses it with this schema before running any
 * of it; `resolved-config.test.ts` proves the schema and the TypeScript type stay the same shape.
 */
import { z } from 'zod';
import { GlobalSettings } from '../spec/global.ts';
import { VirtualServer, VirtualServerGroup } from '../spec/lvs.ts';
import { DirectorName, IpAddress, ObjectName } from '../spec/primitives.ts';
import { NotifyHooks, SyncGroup, TrackFile, TrackProcess, VrrpScript } from '../spec/tracking.ts';
import { UnicastPeer, VirtualIpAddress, VirtualRoute, VrrpAuth, VrrpStartState, VrrpVersion } from '../spec/vrrp-instance.ts';

const ResolvedTrack = z.strictObject({ name: ObjectName, weight: z.number().int(), reverse: z.boolean() });
const ResolvedTrackInterface = z.strictObject({ interface: z.string().min(1).max(15), weight: z.number().int(), reverse: z.boolean() });
const ms = z.number().int().min(0);

const ResolvedGarp = z.strictObject({
  masterDelayMs: ms, masterRepeat: z.number().int().min(0), masterRefreshMs: ms, masterRefreshRepeat: z.number().int().min(0),
  lowerPrioDelayMs: ms, lowerPrioRepeat: z.number().int().min(0), intervalMs: ms, gnaIntervalMs: ms, minGarp: z.boolean(),
});

const ResolvedTransport = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('multicast'), dstIp: IpAddress, srcIp: IpAddress.optional() }),
  z.strictObject({ kind: z.literal('unicast'), srcIp: IpAddress.optional(), peers: z.array(UnicastPeer).max(256), ttl: z.number().int().min(0).max(255).optional() }),
]);

export const ResolvedVrrpInstanceWire = z.strictObject({
  name: ObjectName,
  family: z.enum(['inet', 'inet6']),
  interface: z.string().min(1).max(15).optional(),
  virtualRouterId: z.number().int().min(1).max(255),
  version: VrrpVersion,
  advertIntervalMs: z.number().int().min(10).max(255_000),
  priority: z.number().int().min(0).max(255),
  state: VrrpStartState,
  nopreempt: z.boolean(),
  preemptDelayMs: ms,
  accept: z.boolean(),
  strictMode: z.boolean(),
  // Absent from a control plane older than the receive-path rules (issue 17): keepalived's defaults.
  skipCheckAdvAddr: z.boolean().default(false),
  lowerPrioNoAdvert: z.boolean().default(false),
  higherPrioSendAdvert: z.boolean().default(false),
  v3ChecksumAsV2: z.boolean().default(false),
  auth: VrrpAuth.optional(),
  virtualIpAddresses: z.array(VirtualIpAddress),
  virtualIpAddressesExcluded: z.array(VirtualIpAddress),
  noVirtualIpAddress: z.boolean(),
  virtualRoutes: z.array(VirtualRoute),
  transport: ResolvedTransport,
  garp: ResolvedGarp,
  trackInterfaces: z.array(ResolvedTrackInterface),
  trackScripts: z.array(ResolvedTrack),
  trackFiles: z.array(ResolvedTrack),
  trackProcesses: z.array(ResolvedTrack),
  dontTrackPrimary: z.boolean(),
  notify: NotifyHooks.optional(),
  notifyPriorityChanges: z.boolean(),
  promoteSecondaries: z.boolean(),
  useVmac: z.union([z.boolean(), z.string().max(15)]),
  vmacXmitBase: z.boolean(),
  syncGroup: ObjectName.optional(),
  peerDirectors: z.array(DirectorName),
});

export const ResolvedDirectorConfigWire = z.strictObject({
  director: DirectorName,
  routerId: z.string().max(255).optional(),
  global: GlobalSettings,
  instances: z.record(ObjectName, ResolvedVrrpInstanceWire),
  syncGroups: z.record(ObjectName, SyncGroup),
  vrrpScripts: z.record(ObjectName, VrrpScript),
  trackFiles: z.record(ObjectName, TrackFile),
  trackProcesses: z.record(ObjectName, TrackProcess),
  virtualServerGroups: z.record(ObjectName, VirtualServerGroup),
  virtualServers: z.array(VirtualServer),
});
