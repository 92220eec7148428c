/**
 * One director's running agent, whatever feeds it its config (a keepalived.conf, or the control
 * plane): the state dir, the OS ports, the VRRP runtime, the load balancer, the control socket
 * and the metrics listener. `apply` starts it on the first config and reloads it as a diff after.
 */
import { appendFileSync, closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { HealthWorker } from '../checks/health-worker.ts';
import { createLinuxAddressManager } from '../os/address-manager.ts';
import { createLinuxAnnouncer } from '../os/announcer.ts';
import { systemClock } from '../os/clock.ts';
import type { LbBackendMode } from '../os/lb-backend.ts';
import { createLinuxLinkMonitor } from '../os/link-monitor.ts';
import { createLinuxRouteManager } from '../os/route-manager.ts';
import { linuxVrrpSockets } from '../os/vrrp-socket.ts';
import { Agent, type AgentEvent } from '../runtime/agent.ts';
import { serveControl } from '../runtime/control.ts';
import { HookQueue, processHookRunner } from '../runtime/hooks.ts';
import { LbRuntime, type LbEvent } from '../runtime/lb.ts';
import { renderMetrics } from '../runtime/metrics.ts';
import { StateDir } from '../runtime/state-dir.ts';
import { drainCommand, lbStatus, openDataPlane, type OpenedDataPlane } from './agent-lb.ts';

export interface HostOptions {
  stateDir: string;
  lbMode: LbBackendMode;
  metricsAt?: { host: string; port: number };
  /** Also export the keepalived exporters' metric names (default true). */
  keepalivedMetrics?: boolean;
  log: Logger;
  /** Every VRRP transition and real-server change (managed mode puts them in the outbox). */
  onEvent?: (e: AgentEvent | LbEvent) => void;
}

export type ApplyResult = { ok: true; started: boolean; diff?: unknown } | { ok: false; message: string };

/** keepalived's notify_fifo: one line per transition; a FIFO without a reader is skipped. */
function fifoWriter(path: string): (line: string) => void {
  return (line) => {
    try {
      if (statSync(path).isFIFO()) {
        const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        try { writeSync(fd, `${line}\n`); } finally { closeSync(fd); }
      } else appendFileSync(path, `${line}\n`);
    } catch {
      /* no reader yet (ENXIO) or the file went away: keepalived drops the line too */
    }
  };
}

function serveMetrics(at: { host: string; port: number }, render: () => Promise<string>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      render().then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text), () => res.writeHead(500).end());
    });
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve(server));
  });
}

export class DirectorHost {
  readonly state: StateDir;
  private agent: Agent | undefined;
  private lb: LbRuntime | undefined;
  private dataPlane: OpenedDataPlane | undefined;
  private config: ResolvedDirectorConfig | undefined;
  private readonly lbHooks: HookQueue;
  private readonly addresses = createLinuxAddressManager();
  private readonly announcer = createLinuxAnnouncer();
  private readonly links = createLinuxLinkMonitor();
  private readonly routes = createLinuxRouteManager();
  private control: { close(): unknown } | undefined;
  private metrics: Server | undefined;

  private constructor(private readonly o: HostOptions) {
    this.state = new StateDir(o.stateDir);
    this.lbHooks = new HookQueue(processHookRunner, (cmd, args, r) => {
      if (r.code !== 0) o.log.warn({ args }, `notify "${cmd}" ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.error}`}`);
    });
  }

  /** Claims the state dir, removes VIPs a crashed predecessor left, opens the control socket. */
  static async open(o: HostOptions): Promise<DirectorHost> {
    const h = new DirectorHost(o);
    h.state.claim();
    const leftovers = await h.state.cleanLeftovers(h.addresses);
    if (leftovers.length) o.log.warn({ vips: leftovers.map((v) => `${v.address}/${v.prefixLength} dev ${v.ifname}`) }, 'removed VIPs left by a previous agent that did not stop cleanly');
    h.control = await serveControl(h.state.socketPath, async ({ command, args }) => {
      if (command === 'status') return h.status();
      if (command === 'drain') return drainCommand(h.lb, args);
      throw new Error(`unknown command "${command}"`);
    });
    if (o.metricsAt) {
      h.metrics = await serveMetrics(o.metricsAt, async () => {
        await h.lb?.refreshTable();
        return renderMetrics(h.agent?.status() ?? { pid: process.pid, instances: [] }, h.lb ? { realServers: h.lb.status(), table: h.lb.table() } : undefined, { keepalivedNames: o.keepalivedMetrics !== false });
      }).catch((e: Error) => {
        o.log.error({ err: e.message }, `metrics listener on ${o.metricsAt!.host}:${o.metricsAt!.port} failed; running without it`);
        return undefined;
      });
    }
    return h;
  }

  get running(): boolean {
    return this.agent !== undefined;
  }

  async status() {
    const base = this.agent?.status() ?? { pid: process.pid, instances: [] };
    return { ...base, director: this.config?.director, ...(this.lb && this.dataPlane ? { loadBalancer: await lbStatus(this.lb, this.dataPlane) } : {}) };
  }

  /**
   * Runs `config`: the first time starts everything (the data plane is chosen and the virtual
   * servers checked against it first: a config this host cannot program changes nothing);
   * afterwards reloads as a diff. A failure leaves what was running as it was.
   */
  async apply(config: ResolvedDirectorConfig): Promise<ApplyResult> {
    const log = this.o.log;
    if (config.virtualServers.length > 0 && !this.dataPlane) {
      const dp = await openDataPlane(this.o.lbMode, config, this.o.stateDir);
      if (!dp.ok) return { ok: false, message: dp.message };
      this.dataPlane = dp.value;
      log.info({ backend: dp.value.name, reason: dp.value.reason }, 'load balancer data plane');
      for (const w of dp.value.warnings) log.warn(w);
    }
    if (this.lb === undefined && this.dataPlane && config.virtualServers.length > 0) {
      this.lb = new LbRuntime({
        dataPlane: this.dataPlane,
        health: new HealthWorker((m) => log.warn(m)),
        notify: this.lbHooks,
        log: (level, message, fields) => log[level](fields ?? {}, message),
        onEvent: (e) => {
          log.info({ event: e }, 'event');
          this.o.onEvent?.(e);
        },
        ...(config.global.scriptUser ? { scriptUser: config.global.scriptUser } : {}),
      });
      await this.lb.start(config);
    } else if (this.lb) {
      await this.lb.reload(config);
    }
    if (!this.agent) {
      const agent = new Agent({
        sockets: linuxVrrpSockets,
        addresses: this.addresses,
        announcer: this.announcer,
        routes: this.routes,
        links: this.links,
        clock: systemClock,
        hooks: processHookRunner,
        log: (level, message, fields) => log[level](fields ?? {}, message),
        onEvent: (e) => {
          log.info({ event: e }, 'event');
          this.o.onEvent?.(e);
        },
        recordVips: (v) => this.state.recordVips(v),
        onHeldVips: (v) => this.lb?.setHeldVips(v.map((x) => x.address)),
        ...(config.global.notifyFifo ? { fifo: fifoWriter(config.global.notifyFifo) } : {}),
      });
      try {
        await agent.start(config);
      } catch (e) {
        await agent.stop();
        return { ok: false, message: (e as Error).message };
      }
      this.agent = agent;
      this.config = config;
      log.info({ instances: [...agent.instances.keys()] }, 'agent running');
      return { ok: true, started: true };
    }
    let diff;
    try {
      diff = await this.agent.reload(config);
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
    this.config = config;
    log.info(diff, 'reloaded');
    return { ok: true, started: false, diff };
  }

  async close(): Promise<void> {
    await this.agent?.stop();
    await this.lb?.stop();
    this.lb = undefined;
    await this.lbHooks.drain();
    this.metrics?.close();
    this.control?.close();
    this.addresses.close();
    this.announcer.close();
    this.routes.close();
    this.links.close();
    this.state.release();
  }
}
