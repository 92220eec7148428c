/**
 * An in-process control plane over a fresh database of either driver, with helpers to call it
 * the way a client would (`app.request`, JSON, bearer tokens).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { AuditSigner } from '../../control-plane/src/audit/signer.ts';
import { IngestGate } from '../../control-plane/src/services/agents/ingest-gate.ts';
import { ReportCommitter } from '../../control-plane/src/services/agents/commit.ts';
import { SessionRegistry } from '../../control-plane/src/sessions.ts';
import { createApp } from '../../control-plane/src/app.ts';
import type { DbHandle } from '../../control-plane/src/db.ts';
import { createMetrics } from '../../control-plane/src/metrics.ts';
import { ensureBootstrapToken } from '../../control-plane/src/services/tokens/bootstrap.ts';
import { freshDb, type Driver } from './db.ts';

export interface TestApp {
  db: DbHandle;
  audit: AuditSigner;
  sessions: SessionRegistry;
  ingest: IngestGate;
  committer: ReportCommitter;
  app: ReturnType<typeof createApp>;
  admin: string;
  /** The raw Response (streams), as the bootstrap admin unless headers say otherwise. */
  raw(path: string, init?: RequestInit): Promise<Response>;
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }> // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON;
  /** `call` for a set-up step that must work: throws on a status of 300 or more, else the parsed body. */
  must(method: string, path: string, body?: unknown, token?: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
  close(): Promise<void>;
}

export const BOOTSTRAP = 'vgl_test-bootstrap-admin-token-0123456789';

export async function testApp(driver: Driver, opts: { maxBodyBytes?: number; logger?: Logger } = {}): Promise<TestApp> {
  const db = await freshDb(driver);
  await ensureBootstrapToken(db.db, BOOTSTRAP);
  const keyDir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  const audit = AuditSigner.load({ keyFile: join(keyDir, 'audit-signing-key.pem') });
  const logger = opts.logger ?? pino({ level: 'silent' });
  const sessions = new SessionRegistry(db.db);
  const ingest = new IngestGate();
  const committer = new ReportCommitter(db.db);
  const metrics = createMetrics();
  const app = createApp({ db, logger, metrics, maxBodyBytes: opts.maxBodyBytes, audit, sessions, ingest, committer });
  const t: TestApp = {
    db,
    audit,
    sessions,
    ingest,
    committer,
    app,
    admin: BOOTSTRAP,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? BOOTSTRAP : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.rawBody !== undefined) body = o.rawBody;
      else if (o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await app.request(path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* non-JSON bodies (metrics) stay text */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async must(method, path, body, token) {
      const r = await t.call(method, path, { body, ...(token ? { token } : {}) });
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    raw: (path, init = {}) => Promise.resolve(app.request(path, { ...init, headers: { authorization: `Bearer ${BOOTSTRAP}`, ...(init.headers as Record<string, string> | undefined) } })),
    async close() {
      sessions.stop();
      metrics.close();
      await db.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Row counts of every table, to prove a rejected request changed nothing. */
export async function tableCounts(db: DbHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['sites', 'clusters', 'directors', 'spec_revisions', 'api_tokens', 'enrollment_tokens', 'events', 'instance_masters', 'audit_checkpoints']) {
    const r = (await db.db.execute(`select count(*)::int as n from ${t}` as never)) as unknown as { rows?: { n: number }[] } & { n: number }[];
    out[t] = Number(r.rows?.[0]?.n ?? r[0]?.n);
  }
  return out;
}

/** The test app on a real HTTP server (loopback, a free port) with the agent WebSocket attached. */
export async function serveTestApp(t: TestApp): Promise<{ port: number; base: string; close(): Promise<void> }> {
  const { serve } = await import('@hono/node-server');
  const { attachAgentWebSocket } = await import('../../control-plane/src/agent-ws.ts');
  const server = await new Promise<HttpServer>((resolve) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as unknown as HttpServer));
  });
  const { ConfigFanout } = await import('../../control-plane/src/services/agents/fanout.ts');
  const ws = attachAgentWebSocket(server, { db: t.db.db, logger: pino({ level: 'silent' }), ingest: t.ingest, committer: t.committer, fanout: new ConfigFanout(t.db.db), sessions: t.sessions });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    async close() {
      ws.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
