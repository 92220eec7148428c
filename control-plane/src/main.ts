/**
 * Composition root: loadConfig -> openDb (+ migrate) -> bootstrap token -> audit key -> createApp
 * -> serve (HTTP or HTTPS) -> agent WebSocket -> checkpoint timer.
 * SIGTERM/SIGINT stop accepting, let in-flight requests finish, then close the database.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { createApp } from './app.ts';
import { attachAgentWebSocket } from './agent-ws.ts';
import { AuditKeyError, AuditSigner } from './audit/signer.ts';
import { ConfigError, loadConfig, usage, type ControlPlaneConfig } from './config.ts';
import { INGEST_LANE_CONNECTIONS, openDb, type DbHandle } from './db.ts';
import { safeError } from './http/safe-error.ts';
import { createMetrics } from './metrics.ts';
import { registerHandshakeMetrics, registerIngestMetrics } from './fleet-metrics.ts';
import { HandshakeGate } from './handshake-gate.ts';
import { IngestGate } from './services/agents/ingest-gate.ts';
import { COMMIT_DEADLINE_MS, ReportCommitter } from './services/agents/commit.ts';
import { ConfigFanout } from './services/agents/fanout.ts';
import { createCheckpoint } from './services/events/checkpoint.ts';
import { ensureAhead } from './services/events/partitions.ts';
import { pruneEvents } from './services/events/retention.ts';
import { ensureBootstrapToken } from './services/tokens/bootstrap.ts';
import { SessionRegistry } from './sessions.ts';
import { loadTls } from './tls.ts';

/** Pending connections the kernel may queue for accept() (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 16_384;

export interface RunningControlPlane {
  port: number;
  db: DbHandle;
  audit: AuditSigner;
  stop(): Promise<void>;
}

export async function startControlPlane(config: ControlPlaneConfig, logger: Logger = pino({ level: config.logLevel, base: { component: 'control-plane' } })): Promise<RunningControlPlane> {
  const tls = config.tlsCert && config.tlsKey ? loadTls(config.tlsCert, config.tlsKey) : undefined;
  // Everything the embedded database and the key files create is private to this user.
  process.umask(0o077);
  const audit = AuditSigner.load({ envKey: config.auditKey, keyFile: config.auditKeyFile });
  const db = config.databaseUrl ? await openDb({ driver: 'postgres', url: config.databaseUrl }) : await openDb({ driver: 'pglite', dataDir: config.dataDir });
  if (config.migrate) await db.migrate();
  const boot = await ensureBootstrapToken(db.db, config.bootstrapToken);
  if (boot?.generated) {
    // Printed once, on the first start only: there is no other way to learn it.
    process.stdout.write(`\nFirst start: admin API token (shown only now, store it):\n\n  ${boot.secret}\n\n`);
  }
  const metrics = createMetrics();
  const sessions = new SessionRegistry(db.db, (e) => logger.warn({ err: safeError(e) }, 'session re-check failed'));
  const ingest = new IngestGate();
  // Reports commit over a pool of their own, replaced if a commit gets stuck (db.ts, DbLane).
  const committer = new ReportCommitter(db.lane(INGEST_LANE_CONNECTIONS), {
    onStall: (reports) => logger.error({ reports, deadlineMs: COMMIT_DEADLINE_MS }, 'a group commit of agent reports did not settle in time; its agents send them again, the ingest pool was replaced'),
  });
  registerIngestMetrics(metrics, committer);
  const handshakes = new HandshakeGate();
  registerHandshakeMetrics(metrics, handshakes);
  const app = createApp({
    db, logger, metrics, audit, sessions, ingest, committer,
    install: { policy: { publicUrl: config.publicUrl, trustedProxies: config.trustedProxies, scheme: tls ? 'https' : 'http' }, ...(tls ? { tlsPin: tls.pin, selfSigned: tls.selfSigned, ...(tls.selfSigned ? { caPem: tls.certPem } : {}) } : {}) },
  });
  // The listen backlog as deep as the kernel allows (net.core.somaxconn caps it): after a restart
  // every agent reconnects at once, and with node's default of 511 the kernel dropped the SYNs
  // beyond it (TcpExtListenOverflows), so those agents waited out TCP's 1, 3, 7, 15 s SYN
  // retries: 10,000 agents took 25-52 s to be back instead of under 10.
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = tls
      ? createAdaptorServer({ fetch: app.fetch, hostname: config.host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })
      : createAdaptorServer({ fetch: app.fetch, hostname: config.host });
    s.once('error', reject); // the port taken, the address not ours: the start fails, said
    s.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  // VIGIL_AGENT_WS=off refuses the agents' WebSocket (they work over HTTP then): for networks
  // whose proxies do not pass upgrades, and to test that fallback.
  const ws = !config.agentWebSocket
    ? { close: () => {} }
    : attachAgentWebSocket(server as unknown as HttpServer, { db: db.db, logger, ingest, committer, fanout: new ConfigFanout(db.db, (e) => logger.warn({ err: safeError(e) }, 'config push failed')), sessions, onConnections: (n) => metrics.agentsConnected.set(n), handshakes });

  // Signed checkpoints of the audit chain, each also written to the log: the anchor outside
  // the database that verification checks against.
  // One at a time; a caller arriving meanwhile shares the running one (stop() waits for it
  // before closing the database, then anchors the last appends with one more).
  // With replicas, the timer's checkpoint is skipped when another replica signed one less than
  // half an interval ago: each walks the chain since the newest checkpoint, and two walking the
  // same rows doubled the cost for nothing.
  let checkpointing: Promise<void> | undefined;
  const checkpoint = (minAgeMs = 0): Promise<void> => (checkpointing ??= (async () => {
    try {
      const r = await createCheckpoint({ db: db.db, actor: { type: 'system', name: 'checkpoint' } }, audit, { minAgeMs });
      if (r.created) logger.info({ checkpoint: r.created }, 'audit checkpoint');
      if (r.broken) logger.error({ broken: r.broken }, 'audit chain does not verify since the newest checkpoint: no checkpoint signed');
    } catch (e) {
      logger.warn({ err: safeError(e) }, 'audit checkpoint failed');
    } finally {
      checkpointing = undefined;
    }
  })());
  const checkpointTimer = setInterval(() => void checkpoint((config.checkpointIntervalSeconds * 1000) / 2), config.checkpointIntervalSeconds * 1000);
  checkpointTimer.unref();

  // The audit log's upkeep, hourly: daily partitions created ahead, and retention.
  const upkeepCtx = { db: db.db, actor: { type: 'system' as const, name: 'retention' } };
  const upkeep = async () => {
    try {
      await ensureAhead(db.db);
      if (config.eventRetentionDays > 0) {
        const r = await pruneEvents(upkeepCtx, { retentionDays: config.eventRetentionDays, requireCheckpoint: true });
        if (r.pruned.length) logger.info({ pruned: r.pruned, retentionDays: config.eventRetentionDays }, 'audit log: days past retention dropped');
        if (r.kept) logger.info({ kept: r.kept }, 'audit log: a day past retention kept for now');
      }
    } catch (e) {
      logger.warn({ err: safeError(e) }, 'audit log upkeep failed');
    }
  };
  await upkeep();
  const upkeepTimer = setInterval(() => void upkeep(), 3_600_000);
  upkeepTimer.unref();

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, driver: db.driver, tls: tls ? { selfSigned: tls.selfSigned, sha256: tls.fingerprint256, pin: tls.pin } : false, publicUrl: config.publicUrl, auditKeyId: audit.keyId, dataDir: db.driver === 'pglite' ? config.dataDir : undefined }, 'control plane listening');
  return {
    port,
    db,
    audit,
    async stop() {
      // Stop accepting; keep-alive connections that sit idle (agents between requests) close
      // now; long-polls and other requests in flight get a short grace, then are cut (agents
      // retry against another replica or after the restart).
      clearInterval(checkpointTimer);
      clearInterval(upkeepTimer);
      metrics.close();
      ws.close();
      sessions.closeAll('the control plane is stopping');
      sessions.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      http.closeIdleConnections?.();
      const force = setTimeout(() => http.closeAllConnections?.(), 2000);
      await closed;
      clearTimeout(force);
      await checkpointing; // one already running finishes before the database closes
      await checkpoint(); // the last appends are anchored too
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
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(usage);
        return 0;
      }
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const logger = pino({ level: config.logLevel, base: { component: 'control-plane' } });
  // The last line of defence: a bug in one handler is logged, never the end of the process
  // (every request and frame handler already catches its own errors).
  process.on('uncaughtException', (err) => logger.error({ err: safeError(err) }, 'uncaught exception (kept serving)'));
  process.on('unhandledRejection', (err) => logger.error({ err: safeError(err) }, 'unhandled rejection (kept serving)'));
  let cp: RunningControlPlane;
  try {
    cp = await startControlPlane(config, logger);
  } catch (e) {
    if (e instanceof AuditKeyError) {
      process.stderr.write(`vigil control-plane: ${e.message}\n`);
      return 2;
    }
    // Anything else that stops the start (the database refusing, the port taken) ends the
    // process, said: the handlers above keep a serving process alive, and a start that failed
    // half-way would otherwise sit there serving nothing (the database pool keeps it running).
    logger.error({ err: safeError(e) }, 'control plane failed to start');
    process.stderr.write(`vigil control-plane: could not start: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }
  // What a newcomer opens next: the dashboard (sign in with the token printed above).
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
