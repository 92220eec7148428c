/**
 * The audit log as NDJSON and CSV exports and as a live Server-Sent Events stream, on both
 * database drivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../support/db.ts';
import { testApp, type TestApp } from '../support/app.ts';

describe.each(drivers)('event export and stream on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp(driver);
    for (const name of ['alpha', 'beta', 'gamma']) await t.call('POST', '/v1/sites', { body: { name, description: 'has, a comma and a "quote"' } });
  });
  afterAll(async () => t?.close());

  it('NDJSON: every event of the filter, one JSON object per line, oldest first', async () => {
    const listed = (await t.call('GET', '/v1/events?kind=site.created&limit=1000')).body.items as Array<{ id: number }>;
    const r = await t.raw('/v1/events/export?kind=site.created');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: number; kind: string });
    expect(lines.map((e) => e.id)).toEqual(listed.map((e) => e.id));
    expect(lines.every((e) => e.kind === 'site.created')).toBe(true);
  });

  it('CSV: a header and one RFC 4180 row per event', async () => {
    const r = await t.raw('/v1/events/export?format=csv&kind=site.created');
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await r.text();
    const [header, ...rows] = text.trim().split('\n');
    expect(header).toBe('id,receivedAt,agentTime,kind,actor,siteId,clusterId,directorId,instance,details,hash');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\d+,\d{4}-\d\d-\d\dT[^,]+Z,,site\.created,system:bootstrap|token:/);
    // details hold JSON with commas and quotes: quoted, quotes doubled.
    expect(rows[0]).toMatch(/,"\{""name"":""alpha""/);
  });

  it('rejects a bad export query with the field path', async () => {
    const r = await t.call('GET', '/v1/events/export?format=xml');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error.details)).toMatch(/format/);
  });

  it('SSE: new events arrive live; Last-Event-ID resumes after the last one seen', async () => {
    const r = await t.raw('/v1/events/stream?kind=site.created&maxSeconds=10');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    const next = async (pred: (s: string) => boolean) => {
      const t0 = Date.now();
      while (!pred(buf)) {
        if (Date.now() - t0 > 8000) throw new Error(`no matching SSE data: ${buf}`);
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value);
      }
    };
    await next((s) => s.startsWith(': vigil events'));
    expect(buf).not.toContain('"alpha"'); // only events from now on
    await t.call('POST', '/v1/sites', { body: { name: 'delta' } });
    await next((s) => s.includes('"delta"'));
    const id = /id: (\S+)\nevent: vigil\ndata: .*"delta"/.exec(buf)![1]!;
    await reader.cancel();
    await t.call('POST', '/v1/sites', { body: { name: 'epsilon' } });
    const resumed = await t.raw('/v1/events/stream?kind=site.created&maxSeconds=1', { headers: { 'last-event-id': id } });
    const text = await resumed.text();
    expect(text).toContain('"epsilon"');
    expect(text).not.toContain('"delta"');
  });
});
