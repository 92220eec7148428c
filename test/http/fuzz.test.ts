/**
 * Property-based fuzzing of every /v1 operation in the OpenAPI description and of the agent
 * WebSocket, on both database drivers, with fast-check. Seeded and reproducible: the seed is
 * printed (VIGIL_FUZZ_SEED=N reproduces a run; VIGIL_FUZZ_RUNS=N sets the runs per route).
 *
 * Invariants, for every generated request:
 * - the answer is never a 5xx (no database fault is injected here), always the one error shape;
 * - the process keeps serving (the app never throws; /healthz answers after the run);
 * - a 4xx changed nothing: the row count of every table is the same before and after.
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { drivers } from '../support/db.ts';
import { serveTestApp, testApp, type TestApp } from '../support/app.ts';

const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.VIGIL_FUZZ_RUNS ?? 40);
console.log(`fuzz: seed ${SEED}, ${RUNS} runs per operation (VIGIL_FUZZ_SEED / VIGIL_FUZZ_RUNS)`);

const TABLES = ['sites', 'clusters', 'directors', 'spec_revisions', 'api_tokens', 'enrollment_tokens', 'events', 'instance_masters', 'audit_checkpoints'];

async function counts(t: TestApp): Promise<string> {
  const r: unknown = await t.db.db.execute(sql.raw(`select ${TABLES.map((x) => `(select count(*) from ${x})::int as ${x}`).join(', ')}`));
  return JSON.stringify(((r as { rows?: unknown[] }).rows ?? (r as unknown[]))[0]);
}

/** Strings that have broken parsers before: NUL, lone surrogates, prototype names, SQL, huge. */
const nasty = fc.constantFrom('\u0000', '\ud800', '__proto__', 'constructor', 'toString', "' or 1=1 --", '0000-01-01T00:00:00Z', '9'.repeat(40), 'e:99999999999999999999', '%', '%ZZ', '../..', '<img src=x onerror=alert(1)>', '', ' ', 'a'.repeat(5000), '=cmd|x', 'NaN', '-1', '1e400');
const str = fc.oneof(fc.string({ maxLength: 40 }), nasty, fc.string({ unit: 'grapheme', maxLength: 10 }));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 6 }, fc.constant(null), fc.boolean(), fc.integer(), fc.double(), str, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(str, tie('value'), { maxKeys: 4 })),
})).value;

/** Percent-encoding that also sends what encodeURIComponent refuses (a lone surrogate as CESU bytes). */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\ud800-\udfff]/g, '%ED%A0%80').split('%ED%A0%80').map((x) => encodeURIComponent(x)).join('%ED%A0%80');
  }
}

/** A valid-ish body for each operation that takes one, so mutations start close to valid. */
function seedBodies(clusterId: string): Record<string, unknown> {
  return {
    'POST /sites': { name: 'fz', description: 'x' },
    'POST /sites/{site}/clusters': { name: 'fz', segment: 'seg' },
    'PATCH /clusters/{id}': { description: 'x' },
    'POST /clusters/{id}/directors': { name: 'fz', labels: { a: 'b' } },
    'PUT /clusters/{id}/spec': { spec: exampleClusterSpecInput, message: 'm' },
    'POST /clusters/{id}/rollback': { revision: 1 },
    'POST /tokens': { name: 'fz', role: 'viewer' },
    'POST /sites/{site}/enrollment-tokens': { maxUses: 1 },
    'PUT /clusters/{id}/directors/{name}/maintenance': { on: true },
    'PUT /clusters/{id}/instances/{instance}/master': { director: 'lb1' },
    'POST /agent/enroll': { cluster: 'web', director: 'fz' },
    'POST /agent/reports': { events: [{ seq: 1, kind: 'vrrp.transition', instance: 'VI_WEB', agentTime: '2026-12-01T00:00:00Z', details: { from: 'backup', to: 'master', reason: 'x', priority: 1 } }], state: { instances: [{ name: 'VI_WEB', state: 'MASTER' }] }, appliedRevision: 1, clusterId },
  };
}

/** Mutations of a JSON value: drop/replace/duplicate a key, swap a leaf for anything. */
function mutate(v: unknown): fc.Arbitrary<unknown> {
  if (v === null || typeof v !== 'object') return fc.oneof(json, fc.constant(v));
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return json;
  return fc.oneof(
    fc.constant(v),
    json,
    fc.nat(entries.length - 1).chain((i) => mutate(entries[i]![1]).map((nv) => (Array.isArray(v) ? v.map((x, j) => (j === i ? nv : x)) : { ...(v as object), [entries[i]![0]]: nv }))),
    fc.nat(entries.length - 1).map((i) => (Array.isArray(v) ? v.filter((_, j) => j !== i) : Object.fromEntries(entries.filter((_, j) => j !== i)))),
    fc.tuple(str, json).map(([k, x]) => (Array.isArray(v) ? [...v, x] : { ...(v as object), [k]: x })),
  );
}

describe.each(drivers)('fuzzing every route and the agent WebSocket on %s', (driver) => {
  let t: TestApp;
  let clusterId: string;
  let ops: { method: string; path: string; key: string }[] = [];
  const tokens: Record<string, string | null> = {};

  beforeAll(async () => {
    t = await testApp(driver);
    await t.must('POST', '/v1/sites', { name: 'alpha' });
    clusterId = (await t.must('POST', '/v1/sites/alpha/clusters', { name: 'web' })).id;
    for (const name of ['lb1', 'lb2']) await t.must('POST', `/v1/clusters/${clusterId}/directors`, { name });
    await t.must('PUT', `/v1/clusters/${clusterId}/spec`, { spec: exampleClusterSpecInput });
    const enroll = (await t.must('POST', '/v1/sites/alpha/enrollment-tokens', { maxUses: 1000 })).secret;
    tokens.agent = (await t.must('POST', '/v1/agent/enroll', { cluster: 'web', director: 'lb1' }, enroll)).credential;
    tokens.enrollment = enroll;
    tokens.admin = t.admin;
    tokens.viewer = (await t.must('POST', '/v1/tokens', { name: 'fz-viewer', role: 'viewer' })).secret;
    tokens.none = null;
    tokens.garbage = 'vgl_forged\u00e9-token';
    const doc = (await t.call('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
    ops = Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/')).flatMap(([p, o]) => Object.keys(o).map((m) => ({ method: m.toUpperCase(), path: p, key: `${m.toUpperCase()} ${p.slice(3)}` })))
      // A stream would hold the request open for its duration; its inputs are the query, fuzzed with maxSeconds=1.
      .sort((a, b) => a.key.localeCompare(b.key));
  }, 120_000);
  afterAll(async () => t?.close());

  it('no generated request to any operation gets a 5xx, and every 4xx changes nothing', async () => {
    expect(ops.length).toBeGreaterThan(30);
    const seeds = seedBodies(clusterId);
    let requests = 0;
    for (const [n, op] of ops.entries()) {
      const param = fc.oneof(str, fc.constant(clusterId), fc.constantFrom('alpha', 'web', 'lb1', 'VI_WEB', '1', '2'));
      const query = fc.dictionary(fc.oneof(fc.constantFrom('site', 'cluster', 'director', 'instance', 'kind', 'since', 'until', 'order', 'limit', 'cursor', 'wait', 'full', 'format', 'from', 'to', 'maxSeconds'), str), str, { maxKeys: 3 });
      const body = op.key in seeds ? mutate(seeds[op.key]) : fc.option(json, { nil: undefined });
      const rawBody = fc.oneof({ weight: 8, arbitrary: body.map((b) => (b === undefined ? undefined : JSON.stringify(b))) }, { weight: 1, arbitrary: fc.constantFrom('{', 'null', '[]', '{"a":'.repeat(3), '"x"', '\u0000') });
      const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);
      const token = fc.constantFrom(...Object.keys(tokens));
      await fc.assert(
        fc.asyncProperty(fc.array(param, { minLength: 3, maxLength: 3 }), query, rawBody, contentType, token, async (params, q, b, ct, who) => {
          let i = 0;
          const path = `/v1${op.path.slice(3).replace(/\{[^}]+\}/g, () => enc(params[i++] ?? 'x'))}`;
          const qs = new URLSearchParams(Object.entries(q));
          if (op.key.includes('/events/stream')) qs.set('maxSeconds', '1');
          if (op.key === 'GET /agent/config') qs.delete('wait');
          const url = `${path}${[...qs].length ? `?${qs}` : ''}`;
          const before = await counts(t);
          const headers: Record<string, string> = {};
          if (tokens[who]) headers.authorization = `Bearer ${tokens[who]}`;
          if (ct && b !== undefined) headers['content-type'] = ct;
          const res = await t.app.request(url, { method: op.method, headers, ...(b !== undefined && op.method !== 'GET' ? { body: b } : {}) });
          const text = await res.text();
          requests++;
          if (res.status >= 500) throw new Error(`${op.method} ${url} (${who}, ${ct}) → ${res.status} ${text.slice(0, 300)} body=${String(b).slice(0, 300)}`);
          if (res.status >= 400) {
            const err = JSON.parse(text) as { error?: { code?: string; requestId?: string } };
            if (!err.error?.code || !err.error.requestId) throw new Error(`${op.method} ${url} → ${res.status} without the error shape: ${text.slice(0, 200)}`);
            const after = await counts(t);
            if (after !== before) throw new Error(`${op.method} ${url} → ${res.status} but rows changed: ${before} → ${after}`);
          }
        }),
        { seed: SEED + n, numRuns: RUNS, endOnFailure: true },
      );
    }
    console.log(`fuzz (${driver}): ${requests} requests over ${ops.length} operations`);
    expect((await t.call('GET', '/healthz', { token: null })).status).toBe(200);
  }, 600_000);

  it('no generated WebSocket frame gets an internal error or stops the server', async () => {
    const srv = await serveTestApp(t);
    try {
      const report = seedBodies(clusterId)['POST /agent/reports'] as Record<string, unknown>;
      const frame = fc.oneof(
        { weight: 4, arbitrary: mutate({ type: 'report', id: 1, events: report.events, state: report.state }).map((f) => JSON.stringify(f)) },
        { weight: 1, arbitrary: json.map((f) => JSON.stringify(f) ?? 'null') },
        { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      );
      let frames = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (batch) => {
          const s = new WebSocket(`ws://127.0.0.1:${srv.port}/v1/agent/ws`, { headers: { authorization: `Bearer ${tokens.agent}` } });
          const answers: { type?: string; code?: string }[] = [];
          s.on('message', (d) => answers.push(JSON.parse(String(d))));
          await new Promise<void>((r, j) => { s.once('open', () => r()); s.once('error', j); });
          for (const f of batch) s.send(f);
          // Every frame is answered (ack or error), or the socket is closed by policy.
          const done = await new Promise<'answered' | 'closed' | 'timeout'>((r) => {
            setTimeout(() => r('timeout'), 10_000);
            const tick = setInterval(() => { if (answers.filter((a) => a.type === 'ack' || a.type === 'error').length >= batch.length) { clearInterval(tick); r('answered'); } }, 5);
            s.once('close', () => { clearInterval(tick); r('closed'); });
          });
          frames += batch.length;
          s.terminate();
          const internal = answers.find((a) => a.type === 'error' && a.code === 'INTERNAL');
          if (internal) throw new Error(`internal error for ${JSON.stringify(batch).slice(0, 500)}`);
          if (done === 'timeout') throw new Error(`no answer within 10 s: sent ${JSON.stringify(batch).slice(0, 800)}, got ${JSON.stringify(answers).slice(0, 800)}`);
          if (done === 'closed' && answers.filter((a) => a.type === 'error').length < 5) throw new Error(`closed before answering: ${JSON.stringify(answers)}`);
        }),
        { seed: SEED, numRuns: RUNS * 4, endOnFailure: true },
      );
      console.log(`fuzz (${driver}): ${frames} WebSocket frames`);
      expect((await fetch(`${srv.base}/healthz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  }, 300_000);
});
