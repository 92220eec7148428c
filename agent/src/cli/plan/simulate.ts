/**
 * One VRRP instance on one simulated L2 segment, driven by the agent's own pure state machine
 * (vrrp/fsm.ts): every advert a member sends reaches every other running member at the same
 * instant, timers fire at their deadlines, and nothing else happens. Pure and deterministic.
 *
 * The plan uses it twice per instance: to bring the members to the state the agents reported
 * (the reported master as MASTER, the others BACKUP having heard it), then to apply a change the
 * way each agent's reload applies it (in place, or leave and start again) and run until the
 * election settles.
 */
import { fireDueTimers, step } from '../../vrrp/fsm.ts';
import { reconfigure as reconfigureInPlace } from '../../vrrp/reconfigure.ts';
import { createInstance, nextDeadline, type Effect, type InstanceConfig, type InstanceState, type VrrpStateName } from '../../vrrp/state.ts';

export interface Transition { at: number; director: string; from: VrrpStateName; to: VrrpStateName; reason: string }

interface Member { director: string; state: InstanceState }

export class Segment {
  private readonly members = new Map<string, Member>();
  readonly transitions: Transition[] = [];
  now = 0;

  /** Directors running the instance now. */
  running(): string[] {
    return [...this.members.values()].filter((m) => m.state.state !== 'stopped' && m.state.state !== 'initialize').map((m) => m.director);
  }

  stateOf(director: string): InstanceState | undefined {
    return this.members.get(director)?.state;
  }

  masters(): string[] {
    return [...this.members.values()].filter((m) => m.state.state === 'master').map((m) => m.director).sort();
  }

  /** Starts a member (a new instance: the agent's startup). */
  start(director: string, config: InstanceConfig): void {
    const s = createInstance(config);
    this.members.set(director, { director, state: s });
    this.apply(director, step(s, { type: 'startup' }, this.now));
  }

  /** The member leaves (shutdown: a master sends priority 0). */
  stop(director: string): void {
    const m = this.members.get(director);
    if (!m) return;
    this.apply(director, step(m.state, { type: 'shutdown' }, this.now));
    this.members.delete(director);
  }

  /**
   * A reload that keeps the instance running: the new config in place exactly as the agent's
   * reload applies it (vrrp/reconfigure.ts: state, timers and the known master kept), then the
   * new effective priority as the agent's trackers set it right after.
   */
  reconfigure(director: string, config: InstanceConfig, priority: number, fault = false): void {
    const m = this.members.get(director);
    if (!m) return;
    this.apply(director, reconfigureInPlace(m.state, config, this.now));
    this.apply(director, step(this.members.get(director)!.state, { type: 'trackerChanged', priority, fault }, this.now));
  }

  /** Tracking moved a running priority (or put the member in FAULT). */
  track(director: string, priority: number, fault: boolean): void {
    const m = this.members.get(director);
    if (m) this.apply(director, step(m.state, { type: 'trackerChanged', priority, fault }, this.now));
  }

  /** Forces a backup to take over now (used to put the reported master in place). */
  takeOver(director: string): void {
    const m = this.members.get(director);
    if (m && m.state.state === 'backup') this.apply(director, step(m.state, { type: 'adminRequest', target: 'master' }, this.now));
  }

  private apply(director: string, r: { state: InstanceState; effects: Effect[] }): void {
    const m = this.members.get(director);
    if (m) m.state = r.state;
    for (const e of r.effects) {
      if (e.type === 'transition') this.transitions.push({ at: this.now, director, from: e.from, to: e.to, reason: e.reason });
      if (e.type === 'sendAdvert') this.deliver(director, e.priority, r.state);
    }
  }

  private deliver(from: string, priority: number, sender: InstanceState): void {
    for (const m of [...this.members.values()]) {
      if (m.director === from || m.state.state === 'stopped' || m.state.state === 'initialize') continue;
      const advert = { priority, advertIntervalMs: sender.config.advertIntervalMs };
      this.apply(m.director, step(m.state, { type: 'advertReceived', advert, srcAddress: sender.config.primaryAddress }, this.now));
    }
  }

  /** Runs timers until `until` (ms), in deadline order. */
  runUntil(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      let next: { at: number; director: string } | undefined;
      for (const m of this.members.values()) {
        const at = nextDeadline(m.state);
        if (at !== null && (!next || at < next.at)) next = { at, director: m.director };
      }
      if (!next || next.at > until) break;
      this.now = Math.max(this.now, next.at);
      const m = this.members.get(next.director)!;
      this.apply(next.director, fireDueTimers(m.state, this.now));
    }
    this.now = Math.max(this.now, until);
  }
}
