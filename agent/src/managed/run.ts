/**
 * `vigil agent --config /etc/vigil/agent.json`: the managed agent.
 *
 * - It starts from the last config it applied (cached in the state dir), so a director elects
 *   and balances with the control plane down; then it long-polls the control plane for its
 *   config (ETag = revision) and applies each new revision as a diff, exactly like a SIGHUP
 *   reload. A revision that fails to apply is reported rejected, with the reason, and the
 *   running config stays.
 * - Every event (VRRP transitions, real-server changes, config applied/rejected) goes to the
 *   durable outbox first, then to the control plane, at least once; the control plane stores
 *   each (director, seq) once, so an outage of either loses and duplicates nothing.
 * - State (what `vigil status` shows) is reported every few seconds and after each event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../os/atomic-file.ts';
import { join } from 'node:path';
import pino from 'pino';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { DirectorHost } from '../cli/director-host.ts';
import type { LbBackendMode } from '../os/lb-backend.ts';
import type { AgentEvent } from '../runtime/agent.ts';
import type { LbEvent } from '../runtime/lb.ts';
import { listenAddress, readAgentFile } from './agent-file.ts';
import { ControlPlaneClient } from './client.ts';
import { AgentChannel } from './channel.ts';
import { Outbox, type OutboxEvent } from './outbox.ts';

export interface ManagedOptions {
  configFile: string;
  stateDir: string;
  lbMode: LbBackendMode;
  metricsAt?: { host: string; port: number };
  keepalivedMetrics?: boolean;
}

const STATE_EVERY_MS = 5000;
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/** A runtime event as an outbox event (kind, instance, details, agent time). */
export function toOutbox(e: AgentEvent | LbEvent): Omit<OutboxEvent, 'seq'> {
  if (e.kind === 'vrrp.transition') {
    const { kind, instance, at, ...details } = e;
    return { kind, instance, agentTime: at, details };
  }
  const { kind, at, ...details } = e;
  return { kind, agentTime: at, details };
}

interface Cached { revision: number; etag: string; config: ResolvedDirectorConfig }

export async function runManaged(o: ManagedOptions): Promise<number> {
  const file = readAgentFile(o.configFile);
  if (!file.ok) {
    process.stderr.write(`${file.message}\nvigil agent: ${o.configFile} is invalid; nothing was started\n`);
    return 1;
  }
  const cfg = file.value;
  const log = pino({ base: { component: 'agent', director: cfg.director, managed: true } });
  const outbox = new Outbox(join(o.stateDir, 'outbox'));
  const client = new ControlPlaneClient(cfg.controlPlane, cfg.credential);
  const channel = new AgentChannel(cfg.controlPlane, cfg.credential);
  const cachePath = join(o.stateDir, 'config.json');
  const stop = new AbortController();
  let wake: () => void = () => {};
  const host = await DirectorHost.open({
    stateDir: o.stateDir,
    lbMode: cfg.lbBackend ?? o.lbMode,
    log,
    ...((o.metricsAt ?? listenAddress(cfg.metricsListen)) ? { metricsAt: (o.metricsAt ?? listenAddress(cfg.metricsListen))! } : {}),
    ...((o.keepalivedMetrics ?? cfg.keepalivedMetrics) !== undefined ? { keepalivedMetrics: (o.keepalivedMetrics ?? cfg.keepalivedMetrics)! } : {}),
    onEvent: (e) => {
      outbox.append(toOutbox(e));
      wake();
    },
  });
  let applied: number | undefined;
  let etag: string | undefined;

  const apply = async (revision: number, version: string, config: ResolvedDirectorConfig, fromCache: boolean): Promise<void> => {
    const r = await host.apply(config);
    if (r.ok) {
      applied = revision;
      etag = version;
      if (!fromCache) {
        writeFileAtomic(cachePath, JSON.stringify({ revision, etag: version, config } satisfies Cached));
      }
      outbox.append({ kind: 'config.applied', agentTime: new Date().toISOString(), details: { revision, version, fromCache, ...(r.diff ? { diff: r.diff } : {}) } });
      log.info({ revision, fromCache }, 'config applied');
    } else {
      etag = version; // do not refetch the same broken revision in a loop
      outbox.append({ kind: 'config.rejected', agentTime: new Date().toISOString(), details: { revision, version, reason: r.message } });
      log.error({ revision, err: r.message }, 'config rejected: the running config stays');
    }
    wake();
  };

  // The cached config first: elect with the control plane unreachable.
  if (existsSync(cachePath)) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as Cached;
      await apply(cached.revision, cached.etag ?? `"rev-${cached.revision}"`, cached.config, true);
    } catch (e) {
      log.error({ err: (e as Error).message }, `cached config ${cachePath} unreadable; waiting for the control plane`);
    }
  }

  let pollAbort = new AbortController();
  let nudged = false;
  /** The control plane says our config may have changed: cut the long-poll short and fetch. */
  const nudge = () => {
    nudged = true;
    pollAbort.abort();
  };
  const pullLoop = async () => {
    let backoff = 500;
    while (!stop.signal.aborted) {
      pollAbort = new AbortController();
      nudged = false;
      // After a nudge, ask without If-None-Match's long wait: the change is there now.
      const r = await client.fetchConfig(etag, cfg.pollWaitSeconds, AbortSignal.any([stop.signal, pollAbort.signal, AbortSignal.timeout((cfg.pollWaitSeconds + 15) * 1000)]));
      if (stop.signal.aborted) return;
      if (nudged) continue;
      if (r.kind === 'config') {
        backoff = 500;
        if (r.held) log.info({ revision: r.held.revision, waitingFor: r.held.waitingFor }, 'newer revision held back: the backups apply it first');
        if (r.etag !== etag) {
          // A change the peers must agree on: applied at the instant the control plane set for
          // the whole cluster, so the directors switch together.
          if (r.applyAt !== undefined && r.applyAt > Date.now()) {
            log.info({ revision: r.revision, applyAt: new Date(r.applyAt).toISOString() }, 'applying at the cluster\'s scheduled instant');
            await sleep(r.applyAt - Date.now(), stop.signal);
            if (stop.signal.aborted) return;
          }
          await apply(r.revision, r.etag, r.config, false);
        }
      } else if (r.kind === 'unchanged') {
        backoff = 500;
      } else {
        log.warn({ err: r.message }, 'control plane unreachable for config; running the current one');
        await sleep(backoff, stop.signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  };

  const pushLoop = async () => {
    let backoff = 200;
    let stateAt = 0;
    while (!stop.signal.aborted) {
      const events = outbox.pending(500);
      const dueState = Date.now() - stateAt >= STATE_EVERY_MS || events.length > 0;
      if (events.length === 0 && !dueState) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(50, STATE_EVERY_MS - (Date.now() - stateAt)));
        });
        wake = () => {};
        continue;
      }
      const body = { events, state: await host.status(), ...(applied !== undefined ? { appliedRevision: applied } : {}) };
      const r = (await channel.report(body)) ?? (await client.report(body));
      if (r.ok) {
        backoff = 200;
        stateAt = Date.now();
        if (r.acked !== null) outbox.ack(r.acked);
      } else {
        log.warn({ err: r.message, pending: outbox.size }, 'control plane unreachable for reports; events stay in the outbox');
        await sleep(backoff, stop.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  };

  const wsLoop = async () => {
    let backoff = 1000;
    while (!stop.signal.aborted) {
      const opened = await channel.connect(stop.signal, nudge, (m) => log.warn(m));
      if (stop.signal.aborted) return;
      if (opened) backoff = 1000;
      await sleep(backoff, stop.signal);
      backoff = Math.min(backoff * 2, 30_000);
    }
  };

  const loops = Promise.all([pullLoop(), pushLoop(), wsLoop()]);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('stopping');
  await host.close(); // leave gracefully: its transitions land in the outbox too
  // One last attempt to deliver (the outbox keeps whatever does not make it).
  const last = outbox.pending(1000);
  if (last.length) {
    const r = await client.report({ events: last, ...(applied !== undefined ? { appliedRevision: applied } : {}) });
    if (r.ok && r.acked !== null) outbox.ack(r.acked);
  }
  stop.abort();
  wake();
  await loops;
  outbox.close();
  log.info('agent stopped');
  setTimeout(() => process.exit(0), 50).unref();
  return 0;
}
