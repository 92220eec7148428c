/**
 * What an agent reports as its director's current state (`vigil status --json`, as stored per
 * director and read by the fleet view, split-brain detection, the rollout order and the
 * dashboard). Every field is bounded; unknown keys are dropped so a newer agent still reports
 * to an older control plane.
 */
import { z } from 'zod';
import { ObjectName } from '../spec/primitives.ts';
import { text } from './bounded.ts';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ReportedInstance = z.object({
  name: ObjectName,
  /** keepalived's words: INITIALIZE, BACKUP, MASTER, FAULT, STOPPED. */
  state: z.string().regex(/^[A-Z]{1,16}$/, 'a state word such as MASTER'),
  vrid: z.number().int().min(0).max(255).optional(),
  version: z.union([z.literal(2), z.literal(3)]).optional(),
  family: text(8).optional(),
  interface: text(16).optional(),
  priority: z.number().int().min(0).max(255).optional(),
  basePriority: z.number().int().min(0).max(255).optional(),
  masterSeen: z.object({ address: text(64), priority: z.number().int().min(0).max(255).nullable() }).nullable().optional(),
  vips: z.array(text(64)).max(1024).optional(),
  vipsHeld: z.boolean().optional(),
  tracked: z.array(z.object({ name: text(128), up: z.boolean(), weight: z.number().int() })).max(256).optional(),
  lastTransition: z.object({ from: text(16), to: text(16), reason: text(48) }).nullable().optional(),
  counters: z.record(text(48), z.union([count, z.record(text(48), count)])).optional(),
});
export type ReportedInstance = z.infer<typeof ReportedInstance>;

export const ReportedRealServer = z.object({
  virtualServer: text(200),
  address: text(64),
  port: z.number().int().min(0).max(65535),
  up: z.boolean(),
  weight: z.number().int().min(0).max(65535),
  drained: z.boolean().optional(),
  reason: text(500).optional(),
});

export const ReportedStatus = z.object({
  pid: z.number().int().min(0).optional(),
  director: text(63).optional(),
  instances: z.array(ReportedInstance).max(512).default([]),
  loadBalancer: z.object({
    backend: text(32).optional(),
    reason: text(500).optional(),
    checks: z.record(text(32), count).optional(),
    realServers: z.array(ReportedRealServer).max(20_000).optional(),
  }).optional(),
});
export type ReportedStatus = z.infer<typeof ReportedStatus>;
