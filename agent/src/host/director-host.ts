/**
 * One director's running agent, whatever feeds it its config (a keepalived.conf, or the control
 * plane) and whatever OS it runs on (Linux: linux.ts; the in-memory fakes in unit tests): the
 * state dir, the VRRP runtime, the load balancer with its health checks, the control socket and
 * the metrics listener.
 *
 * `apply(config)` runs every revision in two phases:
 *
 *   prepare  every script it names can run, every track_file it initialises has a directory,
 *            every instance that starts or changes has a plan, an open VRRP socket and an
 *            address to send from, and the data plane (opened the first time it is needed) can
 *            program every virtual server. Nothing running is touched; any problem refuses the
 *            whole revision, with every reason, and what was prepared is released.
 *   commit   in a fixed order: the load balancer first (a new service is programmed before its
 *            VIP is announced; checkers whose definition did not change keep their state), then
 *            VRRP (removed and restarted instances leave, changed ones change in place, new ones
 *            start). Nothing in it can be refused: what the kernel might refuse was asked in
 *            prepare, and a kernel error on one VIP is logged, not unwound.
 *
 * The result says per instance: unchanged, changed in place (what), restarted (why), added,
 * removed; it goes to the log and, in managed mode, into the `config.applied` event.
 */
import type { Server } from 'node:http';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { HealthSource } from '../checks/source.ts';
import type { AddressManager, Announcer, Clock, LinkMonitor, OsResult, RouteManager, VrrpSocketFactory } from '../os/ports.ts';
import { Agent, type AgentEvent } from '../runtime/agent.ts';
import { serveControl } from '../runtime/control.ts';
import { summarize, type ConfigDiff, type InstanceChange } from '../runtime/diff.ts';
import { HookQueue, type HookRunner } from '../runtime/hooks.ts';
import { lbPart, LbRuntime, type LbConfig, type LbEvent } from '../runtime/lb.ts';
import { renderMetrics } from '../runtime/metrics.ts';
import { StateDir } from '../runtime/state-dir.ts';
import type { OpenedDataPlane } from './data-plane.ts';
import { drainCommand, lbStatus } from './lb-commands.ts';
import { serveMetrics } from './metrics-server.ts';
import { scriptAndFileProblems } from './prepare.ts';

export type HostLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** Everything the host needs from the machine it runs on. */
export interface HostPorts {
  sockets: VrrpSocketFactory;
  addresses: AddressManager;
  announcer: Announcer;
  routes?: RouteManager;
  links: LinkMonitor;
  clock: Clock;
  hooks: HookRunner;
  /** Opens the data plane the first time a revision has virtual servers. */
  openDataPlane(lb: LbConfig, global: ResolvedDirectorConfig['global']): Promise<OsResult<OpenedDataPlane>>;
  /** A health source for the load balancer (the worker thread on Linux). */
  health(): HealthSource;
  /** notify_fifo writer for a path. */
  fifo?(path: string): (line: string) => void;
  /** Releases what the ports hold (netlink sockets) when the host closes. */
  close?(): void;
}

export interface HostOptions {
  stateDir: string;
  log: HostLog;
  metricsAt?: { host: string; port: number };
  /** Also export the keepalived exporters' metric names (default true). */
  keepalivedMetrics?: boolean;
  /** Every VRRP transition and real-server change (managed mode puts them in the outbox). */
  onEvent?: (e: AgentEvent | LbEvent) => void;
  /** A transition written ahead and completed later (runtime/agent.ts: `onEventAhead`). */
  onEventAhead?: (e: AgentEvent) => ((complete: AgentEvent) => void) | undefined;
}

/** What an apply did, per part. */
export interface ApplyReport {
  instances: InstanceChange[];
  trackers: ConfigDiff['trackers'];
  global: string[];
  loadBalancer: 'none' | 'unchanged' | 'started' | 'changed' | 'emptied';
  /** One line per instance that is not unchanged: "VI_1: changed in place (priority 150 -> 140)". */
  summary: string[];
}

export type ApplyResult = { ok: true; started: boolean; report: ApplyReport } | { ok: false; message: string };

export class DirectorHost {
  readonly state: StateDir;
  private readonly agent: Agent;
  private lb: LbRuntime | undefined;
  private dataPlane: OpenedDataPlane | undefined;
  private config: ResolvedDirectorConfig | undefined;
  private readonly lbHooks: HookQueue;
  private fifo: ((line: string) => void) | undefined;
  private fifoPath: string | undefined;
  private control: { close(): unknown } | undefined;
  private metrics: Server | undefined;
  /** Applies run one at a time (a SIGHUP during a managed apply waits its turn). */
  private applying: Promise<unknown> = Promise.resolve();

  private constructor(private readonly ports: HostPorts, private readonly o: HostOptions) {
    this.state = new StateDir(o.stateDir, (m) => o.log('warn', m));
    this.lbHooks = new HookQueue(ports.hooks, (cmd, args, r) => {
      if (r.code !== 0) o.log('warn', `notify "${cmd}" ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.error}`}`, { args });
    });
    this.agent = new Agent({
      sockets: ports.sockets,
      addresses: ports.addresses,
      announcer: ports.announcer,
      ...(ports.routes ? { routes: ports.routes } : {}),
      links: ports.links,
      clock: ports.clock,
      hooks: ports.hooks,
      log: o.log,
      onEvent: (e) => {
        o.log('info', 'event', { event: e });
        o.onEvent?.(e);
      },
      onEventAhead: (e) => {
        const complete = o.onEventAhead?.(e);
        return complete && ((final: AgentEvent) => {
          o.log('info', 'event', { event: final });
          complete(final);
        });
      },
      recordVips: (v) => {
        // The record only lets a later run remove VIPs a crash left behind: a disk that refuses
        // it (full, read-only) must not stop a reload; said, and written again next time.
        try {
          this.state.recordVips(v);
        } catch (e) {
          o.log('error', `could not record the configured VIPs in ${o.stateDir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): after a crash, VIPs added since are not cleaned up automatically`);
        }
      },
      onHeldVips: (v) => this.lb?.setHeldVips(v.map((x) => x.address)),
      fifo: (line) => this.fifo?.(line),
    });
  }

  /** Claims the state dir, removes VIPs a crashed predecessor left, opens the control socket. */
  static async open(ports: HostPorts, o: HostOptions): Promise<DirectorHost> {
    const h = new DirectorHost(ports, o);
    h.state.claim();
    const leftovers = await h.state.cleanLeftovers(ports.addresses);
    if (leftovers.length) o.log('warn', 'removed VIPs left by a previous agent that did not stop cleanly', { vips: leftovers.map((v) => `${v.address}/${v.prefixLength} dev ${v.ifname}`) });
    await h.agent.init();
    h.control = await serveControl(h.state.socketPath, async ({ command, args }) => {
      if (command === 'status') return h.status();
      if (command === 'drain') return drainCommand(h.lb, args);
      throw new Error(`unknown command "${command}"`);
    });
    if (o.metricsAt) {
      h.metrics = await serveMetrics(o.metricsAt, async () => {
        await h.lb?.refreshTable();
        return renderMetrics(h.agent.status(), h.lb ? { realServers: h.lb.status(), table: h.lb.table() } : undefined, { keepalivedNames: o.keepalivedMetrics !== false });
      }).catch((e: Error) => {
        o.log('error', `metrics listener on ${o.metricsAt!.host}:${o.metricsAt!.port} failed; running without it`, { err: e.message });
        return undefined;
      });
    }
    return h;
  }

  get running(): boolean {
    return this.config !== undefined;
  }

  /** The load-balancer runtime, once a revision had virtual servers. */
  get loadBalancer(): LbRuntime | undefined {
    return this.lb;
  }

  async status() {
    const base = this.agent.status();
    return { ...base, director: this.config?.director, ...(this.lb && this.dataPlane ? { loadBalancer: await lbStatus(this.lb, this.dataPlane) } : {}) };
  }

  /** Prepares and commits `config` (see the file comment); a refused revision changes nothing. */
  apply(config: ResolvedDirectorConfig): Promise<ApplyResult> {
    const run = this.applying.then(() => this.applyNow(config));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(config: ResolvedDirectorConfig): Promise<ApplyResult> {
    const log = this.o.log;
    const started = this.config === undefined;
    // --- prepare: nothing running is touched ---
    const problems = scriptAndFileProblems(config, this.ports.hooks);
    const lb = lbPart(config);
    const wantLb = lb.virtualServers.length > 0;
    let opened: OpenedDataPlane | undefined;
    let warnings: string[] = [];
    if (wantLb) {
      let dp = this.dataPlane;
      if (!dp) {
        const r = await this.ports.openDataPlane(lb, config.global);
        if (r.ok) dp = opened = r.value;
        else problems.push(r.message);
      }
      if (dp) {
        const v = dp.check(lb);
        problems.push(...v.problems);
        warnings = v.warnings;
      }
    }
    const vrrp = await this.agent.prepare(config);
    if (!vrrp.ok) problems.push(...vrrp.problems);
    if (problems.length) {
      if (vrrp.ok) this.agent.abandon(vrrp.value);
      // Not stop(): that would remove a table a previous agent left serving traffic.
      opened?.close?.();
      return { ok: false, message: `${problems.join('; ')} (nothing was changed)` };
    }
    if (!vrrp.ok) throw new Error('unreachable');
    // --- commit, in a fixed order: load balancer, then VRRP ---
    let loadBalancer: ApplyReport['loadBalancer'] = 'none';
    if (opened) {
      this.dataPlane = opened;
      log('info', 'load balancer data plane', { backend: opened.name, reason: opened.reason });
    }
    const before = this.lb ? JSON.stringify(lbPart(this.config!)) : undefined;
    if (wantLb && !this.lb) {
      for (const w of warnings) log('warn', w);
      this.lb = new LbRuntime({
        dataPlane: this.dataPlane!,
        health: this.ports.health(),
        notify: this.lbHooks,
        log,
        onEvent: (e) => {
          log('info', 'event', { event: e });
          this.o.onEvent?.(e);
        },
      });
      await this.lb.start(lb);
      loadBalancer = 'started';
    } else if (this.lb) {
      const same = before === JSON.stringify(lb);
      if (!same && wantLb) for (const w of warnings) log('warn', w);
      await this.lb.reload(wantLb ? lb : { virtualServers: [], virtualServerGroups: {}, trackFiles: {} });
      loadBalancer = same ? 'unchanged' : wantLb ? 'changed' : 'emptied';
    }
    if (config.global.notifyFifo !== this.fifoPath) {
      this.fifoPath = config.global.notifyFifo;
      this.fifo = this.fifoPath ? this.ports.fifo?.(this.fifoPath) : undefined;
    }
    await this.agent.commit(vrrp.value);
    this.config = config;
    const d = vrrp.value.diff;
    const report: ApplyReport = { instances: d.instances, trackers: d.trackers, global: d.global, loadBalancer, summary: summarize(d).filter((l) => !l.endsWith(': unchanged')) };
    if (started) log('info', 'agent running', { instances: [...this.agent.instances.keys()] });
    else log('info', `reloaded: ${report.summary.length ? report.summary.join('; ') : 'no VRRP instance changed'}; load balancer ${loadBalancer}`, { report });
    return { ok: true, started, report };
  }

  async close(): Promise<void> {
    await this.applying;
    await this.agent.stop();
    await this.lb?.stop();
    this.lb = undefined;
    this.dataPlane?.close?.();
    await this.lbHooks.drain();
    this.metrics?.close();
    this.control?.close();
    this.ports.close?.();
    this.state.release();
  }
}
