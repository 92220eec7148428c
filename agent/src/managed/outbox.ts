/**
 * The agent's durable event outbox: every event is appended (and fsynced) to a file in the
 * state dir before anything tries to send it, with a sequence number that only grows, across
 * restarts and truncations. Delivery is at least once: the control plane stores each
 * (director, seq) once, then the agent acks and the event leaves the outbox. A control plane
 * or database outage loses nothing: the file keeps the events until they are acked.
 *
 *   outbox.jsonl   one event per line: {"seq":N,"kind":...,"agentTime":...,"details":{...}}
 *   outbox.state   {"acked":N,"last":N}, replaced atomically (tmp + rename)
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

export class Outbox {
  private readonly log: string;
  private readonly stateFile: string;
  private fd: number;
  private acked = 0;
  private last = 0;
  private queue: OutboxEvent[] = [];

  constructor(dir: string) {
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
  }

  /** Appends durably; returns the event with its sequence number. */
  append(e: Omit<OutboxEvent, 'seq'>): OutboxEvent {
    const event: OutboxEvent = { seq: ++this.last, ...e };
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
    fsyncSync(this.fd);
    this.queue.push(event);
    return event;
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

  /** The control plane stored everything up to `seq`. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = Math.min(seq, this.last);
    this.queue = this.queue.filter((e) => e.seq > this.acked);
    this.saveState();
    if (this.queue.length === 0 && statSync(this.log).size > COMPACT_BYTES) {
      // Everything delivered: start the file over (the state file keeps `last`).
      ftruncateSync(this.fd, 0);
      fsyncSync(this.fd);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private saveState(): void {
    writeFileAtomic(this.stateFile, JSON.stringify({ acked: this.acked, last: this.last }));
  }
}
