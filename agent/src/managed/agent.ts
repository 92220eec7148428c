/**
 * The managed agent's loops around a DirectorHost, whatever carries them (the HTTP client and
 * WebSocket in production, in-memory fakes in unit tests):
 *
 * - It starts from the last config it applied (cached in the state dir), so a director elects
 *   and balances with the control plane down; then it long-polls the control plane for its
 *   config (ETag = revision) and applies each new revision as a diff, exactly like a SIGHUP
 *   reload. A revision that fails to apply is reported rejected, with the reason, and the
 *   running config stays. A change the peers must agree on waits for the instant the control
 *   plane set for the whole cluster (`applyAt`).
 * - Every event (VRRP transitions, real-server changes, config applied/rejected) goes to the
 *   durable outbox first, then to the control plane, at least once; the control plane stores
 *   each (director, seq) once, so an outage of either loses and duplicates nothing.
 * - State (what `vigil status` shows) is reported every few seconds and after each event.
 * - A credential the control plane refuses (401: revoked, or the director re-enrolled) stops
 *   the pull and push loops with one clear log line; the director keeps running what it has.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ResolvedDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import type { ApplyReport, DirectorHost, HostLog } from '../host/director-host.ts';
import { writeFileAtomic } from '../os/atomic-file.ts';
import type { AgentEvent } from '../runtime/agent.ts';
import type { LbEvent } from '../runtime/lb.ts';
import { z } from 'zod';
import { ReportedStatus, ResolvedDirectorConfigWire, Revision } from '../../../schema/src/wire/index.ts';
import type { ControlPlaneApi, Fetched, ReportAck, ReportBody } from './client.ts';
import { linkedSignal } from './linked-signal.ts';
import type { Outbox, OutboxEvent } from './outbox.ts';
import { resolvedFromWire } from './wire-config.ts';

/** The WebSocket side, optional: configs (or nudges) in, reports out (undefined = not open, use HTTP). */
export interface ChannelApi {
  connect(signal: AbortSignal, onNudge: () => void, warn: (m: string) => void, onRefused?: (m: string) => void, onConfig?: (f: Extract<Fetched, { kind: 'config' }>) => void): Promise<boolean>;
  report(body: ReportBody): Promise<ReportAck | undefined>;
  /** The control plane is pushing configs on the open socket: no need to poll meanwhile. */
  readonly pushing?: boolean;
}

export interface ManagedAgentOptions {
  host: DirectorHost;
  client: ControlPlaneApi;
  channel?: ChannelApi;
  outbox: Outbox;
  /** Where the last applied revision is cached (the state dir's config.json). */
  cachePath: string;
  pollWaitSeconds: number;
  log: HostLog;
  /** How often state is reported without events. */
  stateEveryMs?: number;
}

interface Cached { revision: number; etag: string; config: ResolvedDirectorConfig }

/** The state dir's config.json, parsed like the control plane's answer it came from. */
const CachedFile = z.strictObject({ revision: Revision, etag: z.string().max(80), config: ResolvedDirectorConfigWire });

/** Per instance, in the wire contract's words (config.applied `instances`). */
function appliedInstances(report: ApplyReport) {
  return report.instances.map((c) => {
    const change = c.action === 'changed' ? 'in_place' as const : c.action;
    const why = c.action === 'changed' ? c.changes.join('; ') : c.action === 'restarted' ? c.why.join('; ') : undefined;
    return { name: c.name, change, ...(why ? { why: why.length > 300 ? `${why.slice(0, 297)}...` : why } : {}) };
  });
}

/** A runtime event as an outbox event (kind, instance, details, agent time). */
export function toOutbox(e: AgentEvent | LbEvent): Omit<OutboxEvent, 'seq'> {
  if (e.kind === 'vrrp.transition') {
    const { kind, instance, at, ...details } = e;
    return { kind, instance, agentTime: at, details };
  }
  const { kind, at, ...details } = e;
  return { kind, agentTime: at, details };
}

/** While configs are pushed, the pull loop still re-checks this often (a lost frame). */
const PUSH_RECHECK_MS = 300_000;
/** The longest wait for a revision's `applyAt` (the control plane sets it 5 s ahead: rollout.ts). */
const MAX_APPLY_AT_WAIT_MS = 10_000;

/** Resolves after `ms` or on abort; the listener goes with the timer (the stop signal lives as long as the agent). */
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const onAbort = () => { clearTimeout(t); resolve(); };
  const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
  signal.addEventListener('abort', onAbort, { once: true });
});

export class ManagedAgent {
  private applied: number | undefined;
  private etag: string | undefined;
  private readonly stop = new AbortController();
  /** The credential was refused: nothing more to say to this control plane. */
  private refused = false;
  private wake: () => void = () => {};
  private pollAbort = new AbortController();
  private nudged = false;
  /** A config the control plane pushed, for the pull loop to apply (one apply path). */
  private pushedConfig: Extract<Fetched, { kind: 'config' }> | undefined;
  private loops: Promise<unknown> | undefined;
  /** The last status did not fit the wire contract (said once, until it fits again). */
  private badState = false;

  constructor(private readonly o: ManagedAgentOptions) {}

  /** The revision running now (undefined before the first apply). */
  get appliedRevision(): number | undefined {
    return this.applied;
  }

  /** The host's events go here: into the outbox first, then (woken) to the control plane. */
  event(e: AgentEvent | LbEvent): void {
    this.o.outbox.append(toOutbox(e));
    this.wake();
  }

  /** A transition written ahead (held in the outbox, not sent) until the returned function completes it. */
  eventAhead(e: AgentEvent): (complete: AgentEvent) => void {
    const held = this.o.outbox.append(toOutbox(e), { hold: true });
    return (complete) => {
      this.o.outbox.release(held.seq, toOutbox(complete).details);
      this.wake();
    };
  }

  /** The state disk refuses writes, or takes them again (problem null): an audit-log fact. */
  diskProblem(problem: string | null, inMemory: number): void {
    this.o.outbox.append({ kind: 'agent.state_disk', agentTime: new Date().toISOString(), details: { problem, inMemory } });
    this.wake();
  }

  /** Applies the cached revision (if any), then runs the loops until `close`. */
  async start(): Promise<void> {
    const { cachePath, log } = this.o;
    // The run's boundary in the audit log: a restart shows as stopping/started around its gap.
    this.o.outbox.append({ kind: 'agent.started', agentTime: new Date().toISOString(), details: {} });
    if (existsSync(cachePath)) {
      let cached: Cached | undefined;
      try {
        const c = CachedFile.safeParse(JSON.parse(readFileSync(cachePath, 'utf8')));
        if (c.success) cached = { ...c.data, config: resolvedFromWire(c.data.config) };
        else log('error', `cached config ${cachePath} is not a config this agent wrote (${c.error.issues[0]?.path.join('.')}: ${c.error.issues[0]?.message}); waiting for the control plane`);
      } catch (e) {
        log('error', `cached config ${cachePath} unreadable (${(e as Error).message}); waiting for the control plane`);
      }
      if (cached) await this.apply(cached.revision, cached.etag, cached.config, true);
    }
    this.loops = Promise.all([this.pullLoop(), this.pushLoop(), this.wsLoop()]);
  }

  /**
   * An acknowledgement: events under seqs the control plane already holds for other events get
   * new ones first (this agent restarted after its state disk refused writes, so its outbox
   * counted from an older `last`), then everything up to `acked` leaves the outbox.
   */
  private settle(r: Extract<ReportAck, { ok: true }>): void {
    if (r.conflicts?.length) {
      const moved = this.o.outbox.renumber(r.conflicts, r.seqAbove ?? 0);
      this.o.log('warn', `the control plane already holds other events under ${r.conflicts.length} of this agent's seqs (its state disk lost writes before a restart): they are sent again as ${moved.map((x) => x.seq).join(', ')}`, { conflicts: r.conflicts.slice(0, 20), seqAbove: r.seqAbove ?? null });
    }
    if (r.acked !== null) this.o.outbox.ack(r.acked);
  }

  /** Leaves gracefully (its transitions land in the outbox), delivers what it can, stops. */
  async close(reason = 'stopped'): Promise<void> {
    this.o.outbox.append({ kind: 'agent.stopping', agentTime: new Date().toISOString(), details: { reason } });
    await this.o.host.close();
    const last = this.o.outbox.pending(1000);
    if (last.length && !this.refused) {
      const r = await this.o.client.report({ events: last, ...(this.applied !== undefined ? { appliedRevision: this.applied } : {}) });
      if (r.ok) this.settle(r);
    }
    this.stop.abort();
    this.wake();
    await this.loops;
  }

  /** The control plane says our config may have changed: cut the long-poll short and fetch. */
  nudge(): void {
    this.nudged = true;
    this.pollAbort.abort();
  }

  /** The control plane pushed our config: apply it through the pull loop, without fetching. */
  configPushed(f: Extract<Fetched, { kind: 'config' }>): void {
    this.pushedConfig = f;
    this.nudge();
  }

  private async apply(revision: number, version: string, config: ResolvedDirectorConfig, fromCache: boolean): Promise<void> {
    const { host, outbox, log } = this.o;
    const r = await host.apply(config);
    if (r.ok) {
      this.applied = revision;
      this.etag = version;
      if (!fromCache) {
        try {
          writeFileAtomic(this.o.cachePath, JSON.stringify({ revision, etag: version, config } satisfies Cached));
        } catch (e) {
          // A full or read-only state disk: the config runs; only a restart without the control
          // plane would fall back to the older cached one.
          log('error', `could not cache revision ${revision} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): it runs, but a restart that cannot reach the control plane starts from the previous cache`, { path: this.o.cachePath });
        }
      }
      outbox.append({ kind: 'config.applied', agentTime: new Date().toISOString(), details: { revision, version, fromCache, instances: appliedInstances(r.report), diff: r.report } });
      log('info', 'config applied', { revision, fromCache });
    } else {
      this.etag = version; // do not refetch the same broken revision in a loop
      outbox.append({ kind: 'config.rejected', agentTime: new Date().toISOString(), details: { revision, version, reason: r.message } });
      log('error', 'config rejected: the running config stays', { revision, err: r.message });
    }
    this.wake();
  }

  private refusedBy(message: string): void {
    if (this.refused) return;
    this.refused = true;
    this.o.log('error', `the control plane refused this agent's credential (${message}): no more config fetches or reports. The director keeps running revision ${this.applied ?? '(none)'}; re-enroll it (install.sh --token ...) to manage it again`);
    this.pollAbort.abort();
    this.wake();
  }

  private async pullLoop(): Promise<void> {
    const { client, log, pollWaitSeconds } = this.o;
    const signal = this.stop.signal;
    let backoff = 500;
    while (!signal.aborted && !this.refused) {
      this.pollAbort = new AbortController();
      this.nudged = false;
      let r: Fetched;
      const pushed = this.pushedConfig;
      this.pushedConfig = undefined;
      if (pushed) r = pushed;
      else if (this.o.channel?.pushing) {
        // The control plane pushes our config on the WebSocket: no polling while it is open
        // (a thousand agents re-fetching after every change is what pushing avoids). A push, a
        // nudge, or the socket closing wakes this; a slow re-check covers anything lost.
        const woken = linkedSignal([signal, this.pollAbort.signal]);
        await sleep(PUSH_RECHECK_MS, woken.signal).finally(woken.dispose);
        if (signal.aborted) return;
        if (this.nudged || this.pushedConfig) continue;
        const recheck = linkedSignal([signal], 15_000);
        r = await client.fetchConfig(this.etag, 0, recheck.signal).finally(recheck.dispose);
      } else {
        // After a nudge, ask without If-None-Match's long wait: the change is there now.
        const poll = linkedSignal([signal, this.pollAbort.signal], (pollWaitSeconds + 15) * 1000);
        r = await client.fetchConfig(this.etag, pollWaitSeconds, poll.signal).finally(poll.dispose);
      }
      if (signal.aborted) return;
      if (this.nudged && !this.pushedConfig && r !== pushed) continue;
      // Cut short by us (the WebSocket closed, so the loop polls again): not the control plane's failure.
      if (r.kind === 'error' && this.pollAbort.signal.aborted) continue;
      if (r.kind === 'config') {
        backoff = 500;
        if (r.held) log('info', 'newer revision held back: the backups apply it first', { revision: r.held.revision, waitingFor: r.held.waitingFor });
        if (r.etag !== this.etag) {
          // A change the peers must agree on: applied at the instant the control plane set for
          // the whole cluster, so the directors switch together.
          if (r.applyAt !== undefined && r.applyAt > Date.now()) {
            log('info', 'applying at the cluster\'s scheduled instant', { revision: r.revision, applyAt: new Date(r.applyAt).toISOString() });
            // Bounded: the control plane schedules at most seconds ahead; this clock stepped
            // back by minutes must not hold a new revision for minutes.
            await sleep(Math.min(r.applyAt - Date.now(), MAX_APPLY_AT_WAIT_MS), signal);
            if (signal.aborted) return;
          }
          await this.apply(r.revision, r.etag, r.config, false);
        }
      } else if (r.kind === 'unchanged') {
        backoff = 500;
      } else if (r.kind === 'refused') {
        this.refusedBy(r.message);
      } else {
        log('warn', 'control plane unreachable for config; running the current one', { err: r.message });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async pushLoop(): Promise<void> {
    const { host, outbox, client, channel, log } = this.o;
    const signal = this.stop.signal;
    const every = this.o.stateEveryMs ?? 5000;
    let backoff = 200;
    let stateAt = -Infinity; // performance.now() of the last state acked: none yet
    while (!signal.aborted && !this.refused) {
      // While the disk refuses writes, try again each turn (at least every `every` ms).
      if (outbox.diskProblem) outbox.flush();
      const events = outbox.pending(500);
      // A transition under way (written ahead, its event held until the kernel confirms it) is
      // already in the host's state: a state report now would tell the control plane of a new
      // MASTER before the takeover event that orders it after the old master's claims, and the
      // old master's last claim would count as a second one (a split brain that never was). The
      // state waits for the release (tens of milliseconds; the release wakes this loop).
      const holding = outbox.holding;
      const dueState = !holding && (performance.now() - stateAt >= every || events.length > 0);
      if (events.length === 0 && !dueState) {
        await new Promise<void>((resolve) => {
          // Every way out removes the others: this runs every few seconds for the agent's life.
          const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
          this.wake = done;
          const t = setTimeout(done, holding ? 50 : Math.max(50, every - (performance.now() - stateAt)));
          signal.addEventListener('abort', done, { once: true });
        });
        this.wake = () => {};
        continue;
      }
      // Our own state, held to the wire contract before it leaves: a shape the control plane
      // would refuse must not block the events behind it (they go without the state, said once).
      const status = dueState ? await host.status() : undefined;
      // A transition may have begun while the status was read: then it goes without it.
      const state = status !== undefined && !outbox.holding ? ReportedStatus.safeParse(status) : undefined;
      if (state && !state.success && !this.badState) log('error', `this agent's status does not fit the wire contract (${state.error.issues[0]?.path.join('.')}: ${state.error.issues[0]?.message}); reporting events without it`);
      if (state) this.badState = !state.success;
      const body: ReportBody = { events, ...(state?.success ? { state: state.data } : {}), ...(this.applied !== undefined ? { appliedRevision: this.applied } : {}) };
      const r = (await channel?.report(body)) ?? (await client.report(body));
      if (r.ok) {
        backoff = 200;
        // Monotonic: with the wall clock, a step back of minutes (NTP, an operator) silenced the
        // state reports for as long, and the control plane saw the director go quiet (the soak).
        if (state) stateAt = performance.now();
        for (const x of r.refused ?? []) log('error', `the control plane refused event ${x.seq}: ${x.reason}`, { seq: x.seq });
        this.settle(r);
      } else if (r.refused) {
        this.refusedBy(r.message);
      } else {
        log('warn', 'control plane unreachable for reports; events stay in the outbox', { err: r.message, pending: outbox.size });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async wsLoop(): Promise<void> {
    const channel = this.o.channel;
    if (!channel) return;
    const signal = this.stop.signal;
    let backoff = 1000;
    while (!signal.aborted && !this.refused) {
      const opened = await channel.connect(signal, () => this.nudge(), (m) => this.o.log('warn', m), (m) => this.refusedBy(m), (f) => this.configPushed(f));
      if (signal.aborted) return;
      // The socket closed: the pull loop polls again (it may be sleeping on the push).
      this.pollAbort.abort();
      if (opened) backoff = 1000;
      // Full jitter: after a control-plane restart ten thousand agents must not come back in
      // the same second, nor ever give up.
      await sleep(Math.random() * backoff, signal);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }
}
