/**
 * The agent's durable event outbox: every event is appended (and fsynced) to a file in the
 * state dir before anything tries to send it, with a sequence number that only grows, across
 * restarts and truncations. Delivery is at least once: the control plane stores each
 * (director, seq) once, then the agent acks and the event leaves the outbox. A control plane
 * or database outage loses nothing: the file keeps the events until they are acked.
 *
 *   outbox.jsonl   one event per line: {"seq":N,"kind":...,"agentTime":...,"details":{...}}
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

export interface OutboxEvent {
  seq: number;
  kind: string;
  instance?: string;
  agentTime: string;
  details: Record<string, unknown>;
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
  private unwritten: OutboxEvent[] = [];
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
        let e: OutboxEvent;
        try {
          e = JSON.parse(line) as OutboxEvent;
        } catch {
          continue; // a line torn by a crash mid-write: it was never acknowledged to anyone
        }
        this.last = Math.max(this.last, e.seq);
        if (e.seq > this.acked) this.queue.push(e);
      }
    }
    this.fd = openSync(this.log, 'a');
    // A crash mid-write left part of a line: the next event starts on a line of its own.
    if (existsSync(this.log) && statSync(this.log).size > 0) {
      const text = readFileSync(this.log, 'utf8');
      this.torn = !text.endsWith('\n');
    }
  }

  /** Appends durably; returns the event with its sequence number. */
  append(e: Omit<OutboxEvent, 'seq'>): OutboxEvent {
    const event: OutboxEvent = { seq: ++this.last, ...e };
    this.queue.push(event);
    this.unwritten.push(event);
    this.flush();
    return event;
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
        const line = `${this.torn ? '\n' : ''}${JSON.stringify(this.unwritten[0])}\n`;
        this.torn = true;
        if (this.io.write(this.fd, line) !== Buffer.byteLength(line)) throw new Error('short write (disk full?)');
        this.io.fsync(this.fd);
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

  /** Events not acknowledged yet, oldest first. */
  pending(limit = 500): OutboxEvent[] {
    return this.queue.slice(0, limit);
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
      this.unwritten.push(e);
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
