/**
 * The agents' WebSocket on a real HTTP server (both drivers): a nudge on every config change,
 * reports acknowledged like POST /v1/agent/reports (stored once), and the right refusals.
 */
import { IngestGate } from '../../control-plane/src/services/agents/ingest-gate.ts';
import { ConfigFanout } from '../../control-plane/src/services/agents/fanout.ts';
import { SessionRegistry } from '../../control-plane/src/sessions.ts';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// app.ts first: it loads @hono/zod-openapi, which the schemas' .openapi() calls need.
import { createApp } from '../../control-plane/src/app.ts';
import { attachAgentWebSocket } from '../../control-plane/src/agent-ws.ts';
import { HandshakeGate } from '../../control-plane/src/handshake-gate.ts';
import { registerHandshakeMetrics } from '../../control-plane/src/fleet-metrics.ts';
import { createMetrics } from '../../control-plane/src/metrics.ts';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

const spec = (vrid: number) => ({ ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: vrid } } });

describe.each(drivers)('agent WebSocket on %s', (driver) => {
  let t: TestApp;
  let server: Server;
  let ws: { close: () => void };
  let port = 0;
  let cred = '';
  let clusterId = '';
  // Small, so one test can fill it (the others open a socket or two at a time).
  const handshakes = new HandshakeGate(4, 2);

  const open = (token?: string) => {
    const s = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/ws`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    s.on('error', () => { /* refusals are asserted through 'unexpected-response' */ });
    return s;
  };
  /** The next message of `type` (a change may nudge more than once: in-process and by NOTIFY). */
  const nextMessage = (s: WebSocket, type?: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const t0 = setTimeout(() => reject(new Error(`no ${type ?? ''} message within 5 s`)), 5000);
    const on = (d: unknown) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>;
      if (type && m.type !== type) return;
      clearTimeout(t0);
      s.off('message', on);
      resolve(m);
    };
    s.on('message', on);
  });
  const refusal = (s: WebSocket) => new Promise<number>((resolve) => s.once('unexpected-response', (_q, res) => { resolve(res.statusCode ?? 0); s.terminate(); }));

  beforeAll(async () => {
    t = await testApp(driver);
    const app = createApp({ db: t.db, logger: pino({ level: 'silent' }), metrics: createMetrics() });
    server = await new Promise((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as unknown as Server)); });
    port = (server.address() as { port: number }).port;
    ws = attachAgentWebSocket(server, { db: t.db.db, logger: pino({ level: 'silent' }), ingest: new IngestGate(), fanout: new ConfigFanout(t.db.db), sessions: new SessionRegistry(t.db.db), handshakes });
    await t.must('POST', '/v1/sites', { name: 'alpha' });
    clusterId = (await t.must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    for (const name of ['lb1', 'lb2']) await t.must('POST', `/v1/clusters/${clusterId}/directors`, { name });
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(51) });
    const enroll = (await t.must('POST', '/v1/sites/alpha/enrollment-tokens', {})).secret;
    cred = (await t.must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb1' }, enroll)).credential;
  });
  afterAll(async () => {
    ws?.close();
    await new Promise<void>((r) => server?.close(() => r()));
    await t?.close();
  });

  it('greets, nudges on a spec change and on an admin action, and acks reports exactly once', async () => {
    const s = open(cred);
    expect(await nextMessage(s)).toEqual({ type: 'hello', director: 'lb1' });
    const nudged = nextMessage(s);
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(52) });
    expect(await nudged).toEqual({ type: 'nudge' });
    await new Promise((r) => setTimeout(r, 200)); // let the duplicate nudge (NOTIFY) of the spec change arrive
    const again = nextMessage(s, 'nudge');
    await t.must('PUT', `/v1/clusters/${clusterId}/directors/lb1/maintenance`, { on: true });
    expect(await again).toEqual({ type: 'nudge' });
    const report = { type: 'report', id: 7, events: [{ seq: 1, kind: 'config.applied', agentTime: '2026-11-29T10:00:00Z', details: { revision: 2, version: 'rev-2' } }], appliedRevision: 2 };
    let ack = nextMessage(s, 'ack');
    s.send(JSON.stringify(report));
    expect(await ack).toEqual({ type: 'ack', id: 7, acked: 1, stored: 1, duplicates: 0, refused: [], conflicts: [], seqAbove: null });
    ack = nextMessage(s, 'ack');
    s.send(JSON.stringify(report));
    expect(await ack).toEqual({ type: 'ack', id: 7, acked: 1, stored: 0, duplicates: 1, refused: [], conflicts: [], seqAbove: null });
    const bad = nextMessage(s, 'error');
    s.send(JSON.stringify({ type: 'report', id: 8, events: [{ seq: 0 }] }));
    expect(await bad).toMatchObject({ type: 'error', id: 8 });
    const junk = nextMessage(s, 'error');
    s.send('not json');
    expect(await junk).toMatchObject({ type: 'error' });
    s.close();
  });

  it('refuses API tokens (403), unknown or missing credentials (401) and other paths', async () => {
    expect(await refusal(open(t.admin))).toBe(403);
    expect(await refusal(open('vga_forged'))).toBe(401);
    expect(await refusal(open())).toBe(401);
    const other = new WebSocket(`ws://127.0.0.1:${port}/v1/nope`, { headers: { authorization: `Bearer ${cred}` } });
    other.on('error', () => {});
    expect(await refusal(other)).toBe(404);
  });

  it('takes a flood of handshakes a few at a time: the next ones wait their turn, and past the queue one is refused with 503 and Retry-After', async () => {
    const held = await Promise.all([1, 2, 3, 4].map(() => handshakes.enter()!));
    const waiting = [open(cred), open(cred)];
    const hellos = waiting.map((s) => nextMessage(s, 'hello'));
    await new Promise((r) => setTimeout(r, 300));
    expect(handshakes.waiting).toBe(2);
    expect(waiting.map((s) => s.readyState)).toEqual([WebSocket.CONNECTING, WebSocket.CONNECTING]);
    const metrics = createMetrics();
    registerHandshakeMetrics(metrics, handshakes);
    const over = open(cred);
    const refused = await new Promise<{ status: number; retryAfter: unknown; body: string }>((resolve) => over.once('unexpected-response', (_q, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += String(c); });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }); over.terminate(); });
    }));
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringMatching(/too many agent handshakes waiting/) } });
    const text = await metrics.registry.metrics();
    metrics.close();
    expect(text).toMatch(/^vigil_agent_handshakes_waiting 2$/m);
    expect(text).toMatch(/^vigil_agent_handshakes_refused_total 1$/m);
    for (const release of held) release();
    expect((await Promise.all(hellos)).map((m) => m.director)).toEqual(['lb1', 'lb1']);
    for (const s of waiting) s.close();
    expect([handshakes.running, handshakes.waiting]).toEqual([0, 0]);
  });

  it('with ?push=config pushes the config view itself: on connect, and once per change, never a nudge', async () => {
    const s = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/ws?push=config`, { headers: { authorization: `Bearer ${cred}` } });
    const frames: Record<string, unknown>[] = [];
    s.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise<void>((r) => s.once('open', () => r()));
    const wait = async (pred: () => boolean) => { for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10)); };
    await wait(() => frames.some((f) => f.type === 'config'));
    const first = frames.find((f) => f.type === 'config') as { view: { revision: number; version: string; config: { instances: Record<string, unknown> } } };
    const current = await t.call('GET', '/v1/agent/config', { token: cred });
    expect(first.view).toEqual(current.body);
    const { ServerFrame } = await import('../../schema/src/wire/frames.ts');
    expect(ServerFrame.safeParse(first).success).toBe(true);
    frames.length = 0;
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: spec(60) });
    await wait(() => frames.some((f) => f.type === 'config'));
    await new Promise((r) => setTimeout(r, 300)); // a duplicate notification must not push twice
    const pushes = frames.filter((f) => f.type === 'config') as { view: { revision: number } }[];
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.view.revision).toBe(first.view.revision + 1);
    expect(frames.some((f) => f.type === 'nudge')).toBe(false);
    s.close();
  });
});
