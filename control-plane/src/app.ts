/**
 * createApp(deps): the whole HTTP surface, with no I/O of its own beyond what `deps` provides,
 * so tests drive it in-process with `app.request()`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { DbHandle } from './db.ts';
import type { AppEnv } from './http/env.ts';
import { errorResponse, onError } from './http/errors.ts';
import { auth } from './http/middleware/auth.ts';
import { requestId } from './http/middleware/request-id.ts';
import { requestLog } from './http/middleware/request-log.ts';
import type { Metrics } from './metrics.ts';
import { clustersRoutes } from './routes/clusters.ts';
import { eventsRoutes } from './routes/events.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { sitesRoutes } from './routes/sites.ts';
import { specsRoutes } from './routes/specs.ts';
import { tokensRoutes } from './routes/tokens.ts';
import { agentRoutes } from './routes/agent.ts';
import { failoversRoutes } from './routes/failovers.ts';
import { adminRoutes } from './routes/admin.ts';
import { APPLIED_CHANNEL, REVISION_CHANNEL, revisionChanges } from './services/agents/notify.ts';
import { IngestGate } from './services/agents/ingest-gate.ts';
import { ReportCommitter } from './services/agents/commit.ts';
import { CREDENTIALS_CHANNEL } from './services/tokens/sessions.ts';
import { TokenCache } from './services/tokens/token-cache.ts';
import type { ApiTokenRow } from './services/tokens/authenticate.ts';
import { agentBundle } from './agent-bundle.ts';
import { bodyLimit } from './http/middleware/body-limit.ts';
import { inputGuard } from './http/middleware/input-guard.ts';
import { safeError } from './http/safe-error.ts';
import { defaultInstallSettings, scriptFor, type InstallSettings } from './install/serve.ts';
import { SessionRegistry } from './sessions.ts';
import type { AuditSigner } from './audit/signer.ts';
import { EVENTS_CHANNEL, eventsAppended } from './services/events/notify.ts';
import type { RouteDeps } from './routes/shared.ts';
import { mountDashboard, securityHeaders } from './dashboard.ts';
import { sessionRoutes } from './routes/session.ts';
import { fleetMapRoutes } from './routes/fleet-map.ts';
import { timelineRoutes } from './routes/timeline.ts';
import { clusterStatusRoutes } from './routes/cluster-status.ts';

export interface AppDeps {
  db: DbHandle;
  logger: Logger;
  metrics: Metrics;
  /** Largest accepted request body; larger ones get 413 before any parsing. */
  maxBodyBytes?: number;
  version?: string;
  /** Public URL, trusted proxies, TLS pin: what the installer embeds. */
  install?: InstallSettings;
  /** Signs audit checkpoints; verification is anchored to them. */
  audit?: AuditSigner;
  /** Shared with the agent WebSocket (main.ts); made here when absent. */
  ingest?: IngestGate;
  committer?: ReportCommitter;
  sessions?: SessionRegistry;
}

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const install = deps.install ?? defaultInstallSettings;
  const sessions = deps.sessions ?? new SessionRegistry(deps.db.db, (e) => deps.logger.warn({ err: safeError(e) }, 'session re-check failed'));
  const tokenCache = new TokenCache<ApiTokenRow>();
  const routeDeps: RouteDeps = {
    db: deps.db.db,
    tokenCache,
    ingest: deps.ingest ?? new IngestGate(),
    committer: deps.committer ?? new ReportCommitter(deps.db.db),
    sessions,
    install,
    ...(deps.audit ? { audit: deps.audit } : {}),
    onRefusedEvent: (seq, kind, reason) => deps.logger.warn({ seq, kind: typeof kind === 'string' ? kind.slice(0, 64) : typeof kind, reason }, 'agent event refused (not stored)'),
  };

  app.use('*', requestId());
  app.use('*', requestLog(deps.logger, deps.metrics));
  app.use('*', securityHeaders());
  app.onError(onError);
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  // The operator's screen: static files, reading the /v1 API below like any other client.
  mountDashboard(app, install.policy);
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const r = await deps.db.ready();
    const ok = r.reachable && r.migrated;
    return c.json({ status: ok ? 'ready' : 'not_ready', database: r }, ok ? 200 : 503);
  });
  // The director installer and what it downloads (no auth: the enrollment token is the secret).
  // The URL inside comes from --public-url, or a validated Host (forwarded headers only from
  // trusted proxies), and is shell-quoted (install/public-url.ts).
  app.get('/install.sh', async (c) => {
    const script = await scriptFor(c, install);
    c.header('content-type', 'text/x-shellscript; charset=utf-8');
    c.header('cache-control', 'no-store');
    return c.body(script);
  });
  app.get('/agent/vigil-agent.tar.gz', async (c) => {
    const b = await agentBundle();
    c.header('content-type', 'application/gzip');
    c.header('x-checksum-sha256', b.sha256);
    return c.body(new Uint8Array(b.tarball));
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  // Spec writes in any replica wake this replica's long-polling agents (NOTIFY at commit).
  let listenedOnce = false;
  void deps.db.listen(REVISION_CHANNEL, (clusterId) => revisionChanges.notify(clusterId, 'listen'), () => {
    // Again after a reconnect: whatever was notified while it was down is lost.
    if (listenedOnce) revisionChanges.relistened();
    listenedOnce = true;
  })
    .then(() => { revisionChanges.listening = true; })
    .catch((err: Error) => deps.logger.warn({ err: err.message }, `LISTEN ${REVISION_CHANNEL} failed: agents are nudged by this replica's own writes only, and poll`));
  void deps.db.listen(APPLIED_CHANNEL, (clusterId) => revisionChanges.applied(clusterId)).catch((err: Error) => deps.logger.warn({ err: err.message }, `LISTEN ${APPLIED_CHANNEL} failed: held masters re-check on their timer`));
  void deps.db.listen(EVENTS_CHANNEL, () => eventsAppended.notify()).catch((err: Error) => deps.logger.warn({ err: err.message }, `LISTEN ${EVENTS_CHANNEL} failed: live event streams poll`));
  // A credential revoked, reset or replaced in any replica closes its sessions here too, and
  // its next request reads the database (not the last second's cache).
  void deps.db.listen(CREDENTIALS_CHANNEL, (subject) => {
    tokenCache.changed(subject);
    sessions.changed(subject);
  }).catch((err: Error) => deps.logger.warn({ err: err.message }, `LISTEN ${CREDENTIALS_CHANNEL} failed: sessions are re-checked every second, and a token revoked in another replica is refused here at most a second after this replica last read it`));

  const v1 = new OpenAPIHono<AppEnv>();
  v1.use('*', bodyLimit(deps.maxBodyBytes ?? 1024 * 1024));
  v1.use('*', inputGuard());
  v1.use('*', auth(deps.db.db, tokenCache));
  for (const sub of [sitesRoutes, clustersRoutes, specsRoutes, tokensRoutes, eventsRoutes, failoversRoutes, fleetRoutes, agentRoutes, adminRoutes, sessionRoutes, fleetMapRoutes, timelineRoutes, clusterStatusRoutes]) v1.route('/', sub(routeDeps));
  app.route('/v1', v1);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API token (vgl_…)' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Vigil control plane', version: deps.version ?? '0.1.0', description: 'Desired state, rollout and audit log for fleets of keepalived-compatible directors.' },
  });
  return app;
}
