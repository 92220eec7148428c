/**
 * The events an agent may report: facts about its own director, never intent. The kinds are an
 * explicit allow-list; an event of any other kind (an operator's `director.maintenance`, say)
 * is refused and stored nowhere, so nothing an agent sends can change desired state. Each kind
 * has its own details schema; unknown detail keys are dropped (an older control plane keeps
 * working with a newer agent), so what is stored is exactly what was parsed.
 *
 * An agent's `agentTime` is its claim: stored beside the control plane's receive time and never
 * trusted past it (see services/failovers).
 */
import { z } from 'zod';
import { ObjectName } from '../spec/primitives.ts';
import { Instant, JsonValue, Revision, Seq, text } from './bounded.ts';

/** VRRP states as the agent names them (RFC 5798 plus keepalived's FAULT and our STOPPED). */
export const VrrpStateWord = z.enum(['initialize', 'backup', 'master', 'fault', 'stopped']);
export type VrrpStateWord = z.infer<typeof VrrpStateWord>;

/** A machine-readable reason word (`master_down_timer`, `higher_priority_advert`, ...). */
const ReasonWord = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a reason is a lower-case word like "master_down_timer"');
const Address = text(64);

const envelope = {
  seq: Seq,
  agentTime: Instant,
};

export const VrrpTransitionEvent = z.object({
  ...envelope,
  kind: z.literal('vrrp.transition'),
  instance: ObjectName,
  details: z.object({
    from: VrrpStateWord,
    to: VrrpStateWord,
    reason: ReasonWord,
    priority: z.number().int().min(0).max(255),
    /** When the last advert from another router arrived (the old master's, on a takeover). */
    lastAdvertAt: Instant.nullable().optional(),
    /** The master this instance last heard. */
    masterAddress: Address.nullable().optional(),
    // What outage accounting needs when no other director takes over (a restart, a reload):
    /** This run of the instance: new when it starts or restarts, kept by in-place changes. */
    incarnation: text(64).optional(),
    /** The VIPs (and excluded VIPs) the instance holds while master, "addr/len". */
    vips: z.array(Address).max(1024).optional(),
    /** When the kernel confirmed the VIPs added (to master) or removed (from master); null: none moved, or no answer in time. */
    vipsAt: Instant.nullable().optional(),
    /** When the first gratuitous ARP / unsolicited NA of a takeover went out. */
    announcedAt: Instant.nullable().optional(),
    /** The sync group the instance belongs to (its members move together). */
    syncGroup: ObjectName.optional(),
  }),
});

export const RealServerEvent = z.object({
  ...envelope,
  kind: z.literal('lb.realServer'),
  details: z.object({ virtualServer: text(200), realServer: text(200), up: z.boolean(), reason: text(500) }),
});

export const QuorumEvent = z.object({
  ...envelope,
  kind: z.literal('lb.quorum'),
  details: z.object({ virtualServer: text(200), up: z.boolean(), reason: text(500) }),
});

/** Per instance, what an apply did to it (issue: reload as a true diff). */
export const InstanceApply = z.object({ name: ObjectName, change: z.enum(['added', 'removed', 'unchanged', 'in_place', 'restarted']), why: text(300).optional() });

export const ConfigAppliedEvent = z.object({
  ...envelope,
  kind: z.literal('config.applied'),
  details: z.object({
    revision: Revision,
    version: text(64),
    fromCache: z.boolean().optional(),
    /** The reload diff as the agent summarised it (free-form, bounded). */
    diff: JsonValue.optional(),
    instances: z.array(InstanceApply).max(1024).optional(),
  }),
});

export const ConfigRejectedEvent = z.object({
  ...envelope,
  kind: z.literal('config.rejected'),
  details: z.object({ revision: Revision, version: text(64), reason: text(4000) }),
});

export const AgentLifecycleEvent = z.object({
  ...envelope,
  kind: z.enum(['agent.started', 'agent.stopping']),
  details: z.object({ version: text(64).optional(), reason: text(500).optional() }),
});

/**
 * The agent's state disk refuses writes (problem: ENOSPC, EROFS, ...; inMemory: events only
 * memory holds) or takes them again (problem null). The agent keeps electing either way.
 */
export const StateDiskEvent = z.object({
  ...envelope,
  kind: z.literal('agent.state_disk'),
  details: z.object({ problem: text(200).nullable(), inMemory: z.number().int().min(0).max(1_000_000_000) }),
});

export const AgentEvent = z.union([VrrpTransitionEvent, RealServerEvent, QuorumEvent, ConfigAppliedEvent, ConfigRejectedEvent, AgentLifecycleEvent, StateDiskEvent]);
export type AgentEvent = z.infer<typeof AgentEvent>;

/** The kinds an agent may report; everything else is refused. */
export const AGENT_EVENT_KINDS = ['vrrp.transition', 'lb.realServer', 'lb.quorum', 'config.applied', 'config.rejected', 'agent.started', 'agent.stopping', 'agent.state_disk'] as const;
export type AgentEventKind = (typeof AGENT_EVENT_KINDS)[number];
const KIND_SCHEMA = new Map<string, z.ZodType<AgentEvent>>([
  ['vrrp.transition', VrrpTransitionEvent],
  ['lb.realServer', RealServerEvent],
  ['lb.quorum', QuorumEvent],
  ['config.applied', ConfigAppliedEvent],
  ['config.rejected', ConfigRejectedEvent],
  ['agent.started', AgentLifecycleEvent],
  ['agent.stopping', AgentLifecycleEvent],
  ['agent.state_disk', StateDiskEvent],
]);

/** Largest serialized event the control plane stores (the whole report is bounded too). */
export const MAX_EVENT_BYTES = 16 * 1024;

export type ParsedAgentEvent = { ok: true; event: AgentEvent } | { ok: false; reason: string };

/**
 * Parses one reported event against its kind's schema. A refusal says why in one line (the
 * kind is not an agent's to report, or which field is wrong), for the ack and the log.
 */
export function parseAgentEvent(raw: unknown): ParsedAgentEvent {
  const kind = (raw as { kind?: unknown } | null)?.kind;
  const schema = typeof kind === 'string' ? KIND_SCHEMA.get(kind) : undefined;
  if (!schema) {
    const shown = typeof kind === 'string' ? `"${kind.slice(0, 64)}"` : 'missing';
    return { ok: false, reason: `kind ${shown} is not one an agent may report (${AGENT_EVENT_KINDS.join(', ')})` };
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, reason: `${i.path.join('.') || '(event)'}: ${i.message}` };
  }
  if (JSON.stringify(r.data).length > MAX_EVENT_BYTES) return { ok: false, reason: `event larger than ${MAX_EVENT_BYTES} bytes` };
  return { ok: true, event: r.data };
}
