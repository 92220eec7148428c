/**
 * The agent's durable event outbox: every event is appended (and fsynced) to a file in the
 * state dir before anything tries to send it, with a sequence number that only grows, across
 * restarts and truncations. Delivery is at least once: the control plane stores each
 * (director, seq) once, then the agent acks and the event leaves the outbox. A control plane
 * or database outage loses nothing: the file keeps the events until they are acked.
 *
 *   outbox.jsonl   one event per line: {"seq":N,"kind":...,"agentTime":...,"details":{...}};
 *                  a transition is written ahead with "hold":true and completed by a later
 *                  line {"release":N,"details":{...}} (see `append` with hold)
 *   outbox.state   {"acked":N,"last":N}, replaced atomically (tmp + rename)
 *
 * A disk that refuses writes (full, read-only, failing) never stops the agent: an event that
 * cannot be written is kept in memory, still delivered, and written (in order) as soon as the
 * disk takes writes again; `diskProblem` says what is wrong meanwhile and `onDisk` is told
 * once when it starts and once when it ends. What only memory holds is lost if the process dies
 * before the disk recovers: that is the one window, and it is reported, not hidden.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import { writeFileAtomic } from '../os/atomic-file.ts';
import { join } from 'node:path';
import { z } from 'zod';

export interface OutboxEvent {
  seq: number;
  kind: string;
  instance?: string;
  agentTime: string;
  details: Record<string, unknown>;
  /** Written ahead, details to come (`release`): not sent, and nothing after it either, until then. */
  hold?: true;
}

/** The completion of a held event (`release`). */
interface Release { release: number; details: Record<string, unknown> }

/** A line waiting for the disk: an event, or the completion of a held one. */
interface Unwritten { seq: number; record: OutboxEvent | Release; fsync: boolean }

const Details = z.record(z.string(), z.unknown());
const EventLine = z.object({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), kind: z.string(), instance: z.string().optional(), agentTime: z.string(), details: Details, hold: z.literal(true).optional() });
const ReleaseLine = z.object({ release: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), details: Details });

/** One line of outbox.jsonl, parsed with its schema; null for a torn or foreign line. */
function lineOf(text: string): OutboxEvent | Release | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = (typeof raw === 'object' && raw !== null && 'release' in raw ? ReleaseLine : EventLine).safeParse(raw);
  return r.success ? (r.data as OutboxEvent | Release) : null;
}

const COMPACT_BYTES = 256 * 1024;

/** The file operations the outbox needs (real ones by default; a test makes them fail). */
export interface OutboxIo {
  write(fd: number, text: string): number;
  fsync(fd: number): void;
  replace(path: string, text: string): void;
}
const realIo: OutboxIo = { write: (fd, t) => writeSync(fd, t), fsync: (fd) => fsyncSync(fd), replace: (p, t) => writeFileAtomic(p, t) };

export interface OutboxOptions {
  io?: OutboxIo;
  /** Told when the disk starts refusing (with why, and how many events only memory holds) and when it takes writes again (null). */
  onDisk?: (problem: string | null, inMemory: number) => void;
}

export class Outbox {
  private readonly log: string;
  private readonly stateFile: string;
  private fd: number;
  private acked = 0;
  private last = 0;
  private queue: OutboxEvent[] = [];
  /** Appended but not on disk yet (the disk refused): written first, in order, when it can. */
  private unwritten: Unwritten[] = [];
  private stateDirty = false;
  /** The last write may have left part of a line: the next one starts on a fresh line. */
  private torn = false;
  private problem: string | null = null;
  private readonly io: OutboxIo;

  constructor(dir: string, private readonly options: OutboxOptions = {}) {
    this.io = options.io ?? realIo;
    mkdirSync(dir, { recursive: true });
    this.log = join(dir, 'outbox.jsonl');
    this.stateFile = join(dir, 'outbox.state');
    if (existsSync(this.stateFile)) {
      const s = JSON.parse(readFileSync(this.stateFile, 'utf8')) as { acked: number; last: number };
      this.acked = s.acked;
      this.last = s.last;
    }
    if (existsSync(this.log)) {
      for (const line of readFileSync(this.log, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const e = lineOf(line);
        // A line torn by a crash mid-write (never acknowledged to anyone), or one that is not
        // ours at all: skipped, so it can neither stop the agent nor bend the sequence.
        if (!e) continue;
        if ('release' in e) {
          const held = this.queue.find((x) => x.seq === e.release);
          if (held) held.details = { ...held.details, ...e.details };
          continue;
        }
        this.last = Math.max(this.last, e.seq);
        if (e.seq > this.acked) this.queue.push(e);
      }
    }
    // Held by a run that died before completing them: they go as written (a takeover with its
    // confirmation moments unknown is still a takeover on record).
    for (const e of this.queue) delete e.hold;
    this.fd = openSync(this.log, 'a');
    // A crash mid-write left part of a line: the next event starts on a line of its own.
    if (existsSync(this.log) && statSync(this.log).size > 0) {
      const text = readFileSync(this.log, 'utf8');
      this.torn = !text.endsWith('\n');
    }
  }

  /**
   * Appends durably; returns the event with its sequence number. `hold`: the event is written
   * now and its details completed by `release` later; it is not sent (nor anything after it)
   * until then. A takeover is written the moment it is decided, in the same turn as its VIPs
   * go to the kernel, and completed once the kernel confirms them: an agent killed in between
   * (the VIPs already up) still has the takeover on record. That line is written without an
   * fsync (a killed process loses nothing the kernel has; the release's fsync covers a power
   * loss): an fsync must not sit on the failover path.
   */
  append(e: Omit<OutboxEvent, 'seq' | 'hold'>, options: { hold?: boolean } = {}): OutboxEvent {
    const event: OutboxEvent = { seq: ++this.last, ...e, ...(options.hold ? { hold: true as const } : {}) };
    this.queue.push(event);
    this.unwritten.push({ seq: event.seq, record: event, fsync: !options.hold });
    this.flush();
    return event;
  }

  /** Completes a held event: its details merged with `details`, and it may be sent. */
  release(seq: number, details: Record<string, unknown>): void {
    const e = this.queue.find((x) => x.seq === seq);
    if (!e?.hold) return;
    delete e.hold;
    e.details = { ...e.details, ...details };
    this.unwritten.push({ seq, record: { release: seq, details }, fsync: true });
    this.flush();
  }

  /** Why the disk refuses writes now (null: it does not), and how many events only memory holds. */
  get diskProblem(): { problem: string; inMemory: number } | null {
    return this.problem === null ? null : { problem: this.problem, inMemory: this.unwritten.length };
  }

  /**
   * Writes what waits for the disk (events, then the state), oldest first; stops at the first
   * refusal. Called on every append and ack, and by the agent's loop while a problem lasts.
   */
  flush(): boolean {
    // Delivered and acknowledged meanwhile: the state file will carry `last`, the line is not needed.
    if (this.unwritten.length > 0 && this.unwritten[0]!.seq <= this.acked) this.unwritten = this.unwritten.filter((e) => e.seq > this.acked);
    try {
      while (this.unwritten.length > 0) {
        const next = this.unwritten[0]!;
        const line = `${this.torn ? '\n' : ''}${JSON.stringify(next.record)}\n`;
        this.torn = true;
        if (this.io.write(this.fd, line) !== Buffer.byteLength(line)) throw new Error('short write (disk full?)');
        if (next.fsync) this.io.fsync(this.fd);
        this.torn = false;
        this.unwritten.shift();
      }
      if (this.stateDirty) {
        this.io.replace(this.stateFile, JSON.stringify({ acked: this.acked, last: this.last }));
        this.stateDirty = false;
      }
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const started = this.problem === null;
      this.problem = why;
      // Told after this call returns: the listener may append (a fact about the disk).
      if (started) queueMicrotask(() => this.options.onDisk?.(why, this.unwritten.length));
      return false;
    }
    if (this.problem !== null) {
      this.problem = null;
      queueMicrotask(() => this.options.onDisk?.(null, 0));
    }
    return true;
  }

  /** Events not acknowledged yet, oldest first, up to the first one still held. */
  pending(limit = 500): OutboxEvent[] {
    const head = this.queue.slice(0, limit);
    const held = head.findIndex((e) => e.hold);
    return held < 0 ? head : head.slice(0, held);
  }

  /** Whether an event is written ahead and not completed yet (a transition under way). */
  get holding(): boolean {
    return this.queue.some((e) => e.hold);
  }

  get size(): number {
    return this.queue.length;
  }

  get lastSeq(): number {
    return this.last;
  }

  /**
   * The control plane holds other events under `seqs` (handed out again after a restart whose
   * state file was older than what was delivered): those events are appended again, in order,
   * with seqs above both `above` (the highest it holds) and this outbox's own. Returns them.
   * The old lines stay in the file at or below what `ack` will acknowledge, so a restart skips them.
   */
  renumber(seqs: number[], above: number): OutboxEvent[] {
    const taken = new Set(seqs);
    const moving = this.queue.filter((e) => taken.has(e.seq));
    if (moving.length === 0) return [];
    this.queue = this.queue.filter((e) => !taken.has(e.seq));
    this.unwritten = this.unwritten.filter((e) => !taken.has(e.seq));
    this.last = Math.max(this.last, above);
    const out = moving.map(({ seq: _old, ...rest }) => {
      const e: OutboxEvent = { seq: ++this.last, ...rest };
      this.queue.push(e);
      this.unwritten.push({ seq: e.seq, record: e, fsync: true });
      return e;
    });
    this.stateDirty = true;
    this.flush();
    return out;
  }

  /** The control plane stored everything up to `seq`. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = Math.min(seq, this.last);
    this.queue = this.queue.filter((e) => e.seq > this.acked);
    this.stateDirty = true;
    // Only a written state may let the log start over: it is what keeps `last` then.
    if (!this.flush()) return;
    if (this.queue.length === 0 && this.unwritten.length === 0 && statSync(this.log).size > COMPACT_BYTES) {
      // Everything delivered: start the file over (the state file keeps `last`).
      try {
        ftruncateSync(this.fd, 0);
        fsyncSync(this.fd);
      } catch {
        // Truncation is housekeeping: the next ack tries again.
      }
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
