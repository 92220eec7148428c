/**
 * Composition root: loadConfig -> openDb (+ migrate) -> bootstrap token -> createApp -> serve.
 * SIGTERM/SIGINT stop accepting, let in-flight requests finish, then close the database.
 */
import { serve, type ServerType } from '@hono/node-server';
import pino from 'pino';
import { createApp } from './app.ts';
import type { Server as HttpServer } from 'node:http';
import { attachAgentWebSocket } from './agent-ws.ts';
import { ConfigError, loadConfig, type ControlPlaneConfig } from './config.ts';
import { openDb, type DbHandle } from './db.ts';
import { createMetrics } from './metrics.ts';
import { ensureBootstrapToken } from './services/tokens/bootstrap.ts';

export interface RunningControlPlane {
  port: number;
  db: DbHandle;
  stop(): Promise<void>;
}

export async function startControlPlane(config: ControlPlaneConfig): Promise<RunningControlPlane> {
  const logger = pino({ level: config.logLevel, base: { component: 'control-plane' } });
  const db = config.databaseUrl ? await openDb({ driver: 'postgres', url: config.databaseUrl }) : await openDb({ driver: 'pglite', dataDir: config.dataDir });
  if (config.migrate) await db.migrate();
  const boot = await ensureBootstrapToken(db.db, config.bootstrapToken);
  if (boot?.generated) {
    // Printed once, on the first start only: there is no other way to learn it.
    process.stdout.write(`\nFirst start: admin API token (shown only now, store it):\n\n  ${boot.secret}\n\n`);
  }
  const app = createApp({ db, logger, metrics: createMetrics() });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  // VIGIL_AGENT_WS=off refuses the agents' WebSocket (they work over HTTP then): for networks
  // whose proxies do not pass upgrades, and to test that fallback.
  const ws = process.env.VIGIL_AGENT_WS === 'off' ? { close: () => {} } : attachAgentWebSocket(server as unknown as HttpServer, db.db, logger);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, driver: db.driver, dataDir: db.driver === 'pglite' ? config.dataDir : undefined }, 'control plane listening');
  return {
    port,
    db,
    async stop() {
      // Stop accepting; keep-alive connections that sit idle (agents between requests) close
      // now; long-polls and other requests in flight get a short grace, then are cut (agents
      // retry against another replica or after the restart).
      ws.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      http.closeIdleConnections?.();
      const force = setTimeout(() => http.closeAllConnections?.(), 2000);
      await closed;
      clearTimeout(force);
      await db.close();
      logger.info('control plane stopped');
    },
  };
}

/** `vigil control-plane …` */
export async function runControlPlane(argv: string[]): Promise<number> {
  let config: ControlPlaneConfig;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
    }
    throw e;
  }
  const cp = await startControlPlane(config);
  // What a newcomer opens next: the dashboard (sign in with the token above).
  const where = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`Dashboard: http://${where}:${cp.port}/  (API: http://${where}:${cp.port}/v1, description: /openapi.json)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await cp.stop();
  return 0;
}
