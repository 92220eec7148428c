/**
 * Bad input on both drivers: every case is a 4xx in the one error shape, names what was wrong
 * and where (the field path), and leaves every table exactly as it was. A failure inside the
 * server is an opaque 500 that carries only the request id.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../control-plane/src/app.ts';
import { openDb } from '../../control-plane/src/db.ts';
import { createMetrics } from '../../control-plane/src/metrics.ts';
import { ensureBootstrapToken } from '../../control-plane/src/services/tokens/bootstrap.ts';
import { exampleClusterSpecInput } from '../../schema/src/spec/example.ts';
import { BOOTSTRAP, tableCounts, testApp, type TestApp } from '../support/app.ts';
import { drivers, freshDb } from '../support/db.ts';
import { freePort } from '../support/postgres-server.ts';

interface BadCase {
  name: string;
  method: string;
  path: (cluster: string) => string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** Substring the message must contain. */
  message?: RegExp;
  /** A field path the details must name. */
  path_?: (string | number)[];
}

const CASES: BadCase[] = [
  { name: 'malformed JSON', method: 'POST', path: () => '/v1/sites', rawBody: '{"name": ', status: 400, code: 'VALIDATION', message: /malformed json/i },
  { name: 'JSON that is not an object', method: 'POST', path: () => '/v1/sites', body: ['par1'], status: 400, code: 'VALIDATION', message: /expected object/i, path_: ['body'] },
  { name: 'wrong type', method: 'POST', path: () => '/v1/sites', body: { name: 42 }, status: 400, code: 'VALIDATION', message: /name/, path_: ['body', 'name'] },
  { name: 'missing field', method: 'POST', path: (c) => `/v1/clusters/${c}/directors`, body: {}, status: 400, code: 'VALIDATION', path_: ['body', 'name'] },
  { name: 'unknown field', method: 'POST', path: () => '/v1/sites', body: { name: 'ok', colour: 'red' }, status: 400, code: 'VALIDATION', message: /colour/ },
  { name: 'SQL-looking name', method: 'POST', path: () => '/v1/sites', body: { name: "x'; drop table sites;--" }, status: 400, code: 'VALIDATION', message: /DNS label/, path_: ['body', 'name'] },
  { name: 'SQL-looking path parameter', method: 'GET', path: () => `/v1/sites/${encodeURIComponent("' or 1=1--")}`, status: 404, code: 'NOT_FOUND' },
  { name: 'cluster id that is not a uuid', method: 'GET', path: () => '/v1/clusters/1%20or%201=1', status: 400, code: 'VALIDATION', path_: ['path', 'id'] },
  { name: 'unknown cluster', method: 'GET', path: () => '/v1/clusters/00000000-0000-4000-8000-000000000000', status: 404, code: 'NOT_FOUND' },
  { name: 'duplicate site', method: 'POST', path: () => '/v1/sites', body: { name: 'par1' }, status: 409, code: 'CONFLICT', message: /par1/ },
  { name: 'deleting a site that has clusters', method: 'DELETE', path: () => '/v1/sites/par1', status: 409, code: 'CONFLICT' },
  { name: 'wrong role value', method: 'POST', path: () => '/v1/tokens', body: { name: 'x', role: 'root' }, status: 400, code: 'VALIDATION', path_: ['body', 'role'] },
  { name: 'expiry below the minimum', method: 'POST', path: () => '/v1/tokens', body: { name: 'x', role: 'viewer', expiresInSeconds: 1 }, status: 400, code: 'VALIDATION', path_: ['body', 'expiresInSeconds'] },
  { name: 'token for an unknown site', method: 'POST', path: () => '/v1/tokens', body: { name: 'x', role: 'viewer', site: 'nowhere' }, status: 404, code: 'NOT_FOUND', message: /nowhere/ },
  { name: 'spec of the wrong shape', method: 'PUT', path: (c) => `/v1/clusters/${c}/spec`, body: { spec: { version: 1, vrrpInstances: { VI_1: { virtualRouterId: 300 } } } }, status: 400, code: 'VALIDATION', path_: ['spec', 'vrrpInstances', 'VI_1', 'virtualRouterId'] },
  {
    name: 'spec breaking a fleet rule (nopreempt with MASTER)', method: 'PUT', path: (c) => `/v1/clusters/${c}/spec`,
    body: { spec: { ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, nopreempt: true } } } },
    status: 400, code: 'VALIDATION', message: /nothing was changed/, path_: ['spec', 'vrrpInstances', 'VI_WEB', 'directors', 'lb1', 'state'],
  },
  { name: 'spec naming an unregistered director', method: 'PUT', path: (c) => `/v1/clusters/${c}/spec`, body: { spec: { ...exampleClusterSpecInput, directors: { ...exampleClusterSpecInput.directors, lb9: {} } } }, status: 400, code: 'VALIDATION', path_: ['spec', 'directors', 'lb9'] },
  { name: 'spec body without "spec"', method: 'PUT', path: (c) => `/v1/clusters/${c}/spec`, body: { message: 'oops' }, status: 400, code: 'VALIDATION' },
  { name: 'rollback to a revision that does not exist', method: 'POST', path: (c) => `/v1/clusters/${c}/rollback`, body: { revision: 99 }, status: 404, code: 'NOT_FOUND', message: /99/ },
  { name: 'diff without its query', method: 'GET', path: (c) => `/v1/clusters/${c}/revisions/diff`, status: 400, code: 'VALIDATION', path_: ['query', 'from'] },
  { name: 'events: bad time filter', method: 'GET', path: () => '/v1/events?since=yesterday', status: 400, code: 'VALIDATION', path_: ['query', 'since'] },
  { name: 'events: forged cursor', method: 'GET', path: () => '/v1/events?cursor=bm9wZQ', status: 400, code: 'VALIDATION', path_: ['query', 'cursor'] },
  { name: 'events: unknown filter', method: 'GET', path: () => '/v1/events?colour=red', status: 400, code: 'VALIDATION', message: /colour/ },
  { name: 'unknown route', method: 'GET', path: () => '/v1/nope', status: 404, code: 'NOT_FOUND', message: /GET \/v1\/nope/ },
];

function detailPaths(details: unknown): string[] {
  const list = Array.isArray(details) ? details : ((details as { issues?: unknown[] })?.issues ?? []);
  return (list as { path?: unknown[] }[]).map((d) => JSON.stringify(d.path ?? []));
}

describe.each(drivers)('bad input on %s', (driver) => {
  let t: TestApp;
  let clusterId: string;
  beforeAll(async () => {
    t = await testApp(driver, { maxBodyBytes: 64 * 1024 });
    await t.call('POST', '/v1/sites', { body: { name: 'par1' } });
    clusterId = (await t.call('POST', '/v1/sites/par1/clusters', { body: { name: 'web' } })).body.id;
    for (const name of ['lb1', 'lb2']) await t.call('POST', `/v1/clusters/${clusterId}/directors`, { body: { name } });
    expect((await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: exampleClusterSpecInput } })).status).toBe(200);
  });
  afterAll(async () => t?.close());

  it.each(CASES)('$name → $status $code, nothing changed', async (c) => {
    const before = await tableCounts(t.db);
    const r = await t.call(c.method, c.path(clusterId), { body: c.body, rawBody: c.rawBody, headers: c.headers });
    expect(r.status, JSON.stringify(r.body)).toBe(c.status);
    expect(r.body.error).toMatchObject({ code: c.code, requestId: r.headers.get('x-request-id') });
    expect(r.body.error.message.length).toBeGreaterThan(5);
    if (c.message) expect(r.body.error.message + JSON.stringify(r.body.error.details ?? '')).toMatch(c.message);
    if (c.path_) expect(detailPaths(r.body.error.details)).toContain(JSON.stringify(c.path_));
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('an oversized body is 413 before any parsing, and nothing changes', async () => {
    const before = await tableCounts(t.db);
    const r = await t.call('POST', '/v1/sites', { rawBody: JSON.stringify({ name: 'big', description: 'x'.repeat(70 * 1024) }) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('a GET that announces a body is 413 before it is read, and a plain GET is not', async () => {
    for (const headers of [{ 'content-length': '70000' }, { 'transfer-encoding': 'chunked' }] as Record<string, string>[]) {
      const r = await t.call('GET', '/v1/sites', { headers });
      expect(r.status, JSON.stringify(headers)).toBe(413);
      expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(r.body.error.message).toMatch(/GET request carries no body.*POST or PUT/);
    }
    expect((await t.call('GET', '/v1/sites', { headers: { 'content-length': '0' } })).status).toBe(200);
    expect((await t.call('GET', '/v1/sites')).status).toBe(200);
  });

  it('SQL-looking free text is stored verbatim, never executed', async () => {
    const evil = "'); drop table sites; --";
    const r = await t.call('POST', '/v1/sites', { body: { name: 'evil', description: evil } });
    expect(r.status).toBe(201);
    expect((await t.call('GET', '/v1/sites/evil')).body.description).toBe(evil);
    // Not a kind at all: refused by the filter's grammar, never reaching a query.
    const none = await t.call('GET', `/v1/events?kind=${encodeURIComponent("' or 1=1 --")}`);
    expect(none.status).toBe(400);
    expect(none.body.error.details[0].path).toEqual(['query', 'kind']);
    const quoted = await t.call('GET', `/v1/events?instance=${encodeURIComponent("VI'1")}`);
    expect(quoted.status).toBe(400);
    expect((await t.call('GET', '/v1/sites')).body.items.length).toBeGreaterThanOrEqual(2);
  });

  it('a rejected spec creates no revision and no event', async () => {
    const revs = (await t.call('GET', `/v1/clusters/${clusterId}/revisions`)).body.items.length;
    const bad = { ...exampleClusterSpecInput, vrrpInstances: { VI_WEB: { ...exampleClusterSpecInput.vrrpInstances.VI_WEB, virtualRouterId: 0 } } };
    const r = await t.call('PUT', `/v1/clusters/${clusterId}/spec`, { body: { spec: bad } });
    expect(r.status).toBe(400);
    expect((await t.call('GET', `/v1/clusters/${clusterId}/revisions`)).body.items).toHaveLength(revs);
  });
});

describe.each(drivers)('internal failure on %s', (driver) => {
  it('is an opaque 500 with the request id, never the cause', async () => {
    const db = await freshDb(driver);
    await ensureBootstrapToken(db.db, BOOTSTRAP);
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => void logged.push(s) });
    const app = createApp({ db, logger, metrics: createMetrics() });
    await db.close(); // every query now fails inside the server
    const res = await app.request('/v1/sites', { headers: { authorization: `Bearer ${BOOTSTRAP}` } });
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(res.status).toBe(500);
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(body.error.message).not.toMatch(/closed|ended|pglite|postgres|at \w+ \(/i);
    // The cause goes to the log, tagged with the same request id.
    expect(logged.join('\n')).toContain(body.error.requestId);
  });
});

describe('the database unreachable (postgres)', () => {
  it('is a 503 UNAVAILABLE with Retry-After, logged as a warning, not an internal error', async () => {
    // A port nothing listens on: every connection is refused, as while Postgres restarts.
    const db = await openDb({ driver: 'postgres', url: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, maxConnections: 1 });
    const logged: string[] = [];
    const app = createApp({ db, logger: pino({ level: 'warn' }, { write: (s: string) => void logged.push(s) }), metrics: createMetrics() });
    try {
      const res = await app.request('/v1/sites', { headers: { authorization: `Bearer ${BOOTSTRAP}` } });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(body.error.code).toBe('UNAVAILABLE');
      expect(body.error.message).toMatch(/database is unavailable.*retry/);
      expect(logged.join('\n')).toMatch(/"level":40.*database unavailable/);
      expect(logged.join('\n')).not.toMatch(/unhandled error/);
    } finally {
      await db.close().catch(() => undefined);
    }
  });
});
