import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { exampleClusterSpec } from '../spec/example.ts';
import { resolveDirectorConfig, type ResolvedDirectorConfig } from '../spec/resolve.ts';
import { jsonDepth, JsonValue } from './bounded.ts';
import { parseAgentEvent } from './events.ts';
import { AgentFrame, ServerFrame } from './frames.ts';
import { ReportAck, ReportInput } from './report.ts';
import { ResolvedDirectorConfigWire } from './resolved-config.ts';

// Compile-time: every resolved config is a valid wire value (the reverse differs only in
// optional-vs-undefined keys, which JSON cannot tell apart).
const _typeCheck = (c: ResolvedDirectorConfig): z.input<typeof ResolvedDirectorConfigWire> => c;
void _typeCheck;

describe('wire: resolved config', () => {
  for (const director of Object.keys(exampleClusterSpec.directors)) {
    it(`round-trips the example spec resolved for ${director}`, () => {
      const c = JSON.parse(JSON.stringify(resolveDirectorConfig(exampleClusterSpec, director)));
      const r = ResolvedDirectorConfigWire.safeParse(c);
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
      expect(JSON.parse(JSON.stringify(r.data))).toEqual(c);
    });
  }
  it('refuses an instance named like an object member', () => {
    const c = JSON.parse(JSON.stringify(resolveDirectorConfig(exampleClusterSpec, Object.keys(exampleClusterSpec.directors)[0]!)));
    const name = Object.keys(c.instances)[0]!;
    c.instances.constructor = { ...c.instances[name], name: 'constructor' };
    expect(ResolvedDirectorConfigWire.safeParse(c).success).toBe(false);
  });
});

const transition = { seq: 1, kind: 'vrrp.transition', instance: 'VI_1', agentTime: '2026-12-03T10:00:00.000Z', details: { from: 'backup', to: 'master', reason: 'master_down_timer', priority: 100 } };

describe('wire: agent events', () => {
  it('accepts each agent kind', () => {
    expect(parseAgentEvent(transition).ok).toBe(true);
    expect(parseAgentEvent({ seq: 2, kind: 'lb.realServer', agentTime: transition.agentTime, details: { virtualServer: 'TCP 10.0.0.1:80', realServer: '10.0.0.2:80', up: false, reason: 'timeout' } }).ok).toBe(true);
    expect(parseAgentEvent({ seq: 3, kind: 'config.applied', agentTime: transition.agentTime, details: { revision: 3, version: 'rev-3' } }).ok).toBe(true);
    expect(parseAgentEvent({ seq: 4, kind: 'agent.started', agentTime: transition.agentTime, details: {} }).ok).toBe(true);
  });
  it('refuses operator kinds and unknown kinds, saying why', () => {
    for (const kind of ['director.maintenance', 'instance.move_master', 'token.created', 'vrrp.split_brain', 'x']) {
      const r = parseAgentEvent({ ...transition, kind, details: { on: false } });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain('is not one an agent may report');
    }
    expect(parseAgentEvent(null).ok).toBe(false);
    expect(parseAgentEvent(42).ok).toBe(false);
  });
  it('refuses NUL bytes, year 0000, bad instance names, and drops unknown detail keys', () => {
    expect(parseAgentEvent({ ...transition, instance: 'VI\u0000' }).ok).toBe(false);
    expect(parseAgentEvent({ ...transition, agentTime: '0000-01-01T00:00:00Z' }).ok).toBe(false);
    expect(parseAgentEvent({ ...transition, instance: '__proto__' }).ok).toBe(false);
    expect(parseAgentEvent({ ...transition, instance: 'toString' }).ok).toBe(false);
    const r = parseAgentEvent({ ...transition, details: { ...transition.details, on: true, extra: 'x' } });
    expect(r.ok && r.event.details).toEqual(transition.details);
  });
});

describe('wire: reports and frames', () => {
  it('a report needs a seq on every event, at most 1000 events', () => {
    expect(ReportInput.safeParse({ events: [transition] }).success).toBe(true);
    expect(ReportInput.safeParse({ events: [{ kind: 'x' }] }).success).toBe(false);
    expect(ReportInput.safeParse({ events: Array.from({ length: 1001 }, (_, i) => ({ ...transition, seq: i + 1 })) }).success).toBe(false);
    expect(ReportInput.safeParse({ events: [], bogus: 1 }).success).toBe(false);
  });
  it('an acknowledgement names conflicts by seq, at most 1000, with the highest seq held within the seq range', () => {
    expect(ReportAck.parse({ acked: 3, stored: 1, duplicates: 2 })).toMatchObject({ conflicts: [], seqAbove: null });
    expect(ReportAck.parse({ acked: 3, stored: 1, duplicates: 2, conflicts: [2, 3], seqAbove: 9 })).toMatchObject({ conflicts: [2, 3], seqAbove: 9 });
    // A hostile or broken control plane cannot push the agent's numbering past what a seq may be.
    for (const bad of [{ seqAbove: Number.MAX_SAFE_INTEGER + 2 }, { seqAbove: 0 }, { seqAbove: 1.5 }, { conflicts: [0] }, { conflicts: Array.from({ length: 1001 }, (_, i) => i + 1) }]) {
      expect(ReportAck.safeParse({ acked: 3, stored: 0, duplicates: 0, ...bad }).success, JSON.stringify(bad).slice(0, 60)).toBe(false);
    }
  });

  it('frames: null, arrays, strings and unknown types fail to parse', () => {
    for (const f of [null, [], 'report', 1, {}, { type: 'nudge' }, { type: 'report' }, { type: 'report', id: -1, events: [] }]) expect(AgentFrame.safeParse(f).success).toBe(false);
    expect(AgentFrame.safeParse({ type: 'report', id: 1, events: [transition] }).success).toBe(true);
    expect(ServerFrame.safeParse({ type: 'ack', id: 1, acked: 1, stored: 1, duplicates: 0 }).success).toBe(true);
  });
  it('json depth is measured without recursion', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('['.repeat(200_000), 40)).toBe(41);
    expect(JsonValue.safeParse(JSON.parse('['.repeat(40) + ']'.repeat(40))).success).toBe(false);
  });
});
