/**
 * createApp(deps): the whole HTTP surface, with no I/O of its own beyond what `deps` provides,
 * so tests drive it in-process with `app.request()`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
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
import { REVISION_CHANNEL, revisionChanges } from './services/agents/notify.ts';
import { agentBundle } from './agent-bundle.ts';
import { installScript } from './install-script.ts';
import { mountDashboard, securityHeaders } from './dashboard.ts';
import { forwardedPrefix } from './http/session-cookie.ts';
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
}

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const routeDeps = { db: deps.db.db };

  app.use('*', requestId());
  app.use('*', requestLog(deps.logger, deps.metrics));
  app.use('*', securityHeaders());
  app.onError(onError);
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  // The operator's screen: static files, reading the /v1 API below like any other client.
  mountDashboard(app);
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const r = await deps.db.ready();
    const ok = r.reachable && r.migrated;
    return c.json({ status: ok ? 'ready' : 'not_ready', database: r }, ok ? 200 : 503);
  });
  // The director installer and what it downloads (no auth: the enrollment token is the secret).
  app.get('/install.sh', async (c) => {
    const b = await agentBundle();
    const proto = c.req.header('x-forwarded-proto') ?? new URL(c.req.url).protocol.replace(':', '');
    const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? new URL(c.req.url).host;
    c.header('content-type', 'text/x-shellscript; charset=utf-8');
    // Behind a proxy that strips a path prefix, the agent must reach the API under it too.
    return c.body(installScript({ url: `${proto}://${host}${forwardedPrefix(c)}`, sha256: b.sha256 }));
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
  void deps.db.listen(REVISION_CHANNEL, (clusterId) => revisionChanges.notify(clusterId)).catch((err: Error) => deps.logger.warn({ err: err.message }, `LISTEN ${REVISION_CHANNEL} failed: agents learn of changes by polling`));

  const v1 = new OpenAPIHono<AppEnv>();
  v1.use('*', bodyLimit({
    maxSize: deps.maxBodyBytes ?? 1024 * 1024,
    onError: (c) => errorResponse(c, 'PAYLOAD_TOO_LARGE', `request body exceeds ${deps.maxBodyBytes ?? 1024 * 1024} bytes`),
  }));
  v1.use('*', auth(deps.db.db));
  for (const sub of [sitesRoutes, clustersRoutes, specsRoutes, tokensRoutes, eventsRoutes, failoversRoutes, fleetRoutes, agentRoutes, adminRoutes, sessionRoutes, fleetMapRoutes, timelineRoutes, clusterStatusRoutes]) v1.route('/', sub(routeDeps));
  app.route('/v1', v1);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API token (vgl_…)' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Vigil control plane', version: deps.version ?? '0.1.0', description: 'Desired state, rollout and audit log for fleets of keepalived-compatible directors.' },
  });
  return app;
}
