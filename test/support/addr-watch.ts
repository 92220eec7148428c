/**
 * `ip monitor address` in a namespace, with the kernel's notifications timestamped: what a test
 * uses to prove a VIP never left an interface (a `Deleted` line), not even for a moment that
 * polling would miss, and when an address appeared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface AddressEvent {
  /** Epoch ms (ip prints local time to the microsecond). */
  at: number;
  deleted: boolean;
  address: string;
  ifname: string;
}

export class AddressWatch {
  readonly events: AddressEvent[] = [];
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;

  private constructor(ns: string) {
    this.child = spawn('ip', ['-n', ns, '-ts', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?\d+: (\S+)\s+inet6? ([0-9a-f.:]+)\//.exec(l);
      if (!m) return;
      this.events.push({ at: Date.parse(m[1]!.slice(0, 23)), deleted: m[2] !== undefined, ifname: m[3]!, address: m[4]! });
    });
    // The monitor subscribes as it starts; give it a moment before anything is measured.
    this.ready = new Promise((r) => setTimeout(r, 200));
  }

  static async start(ns: string): Promise<AddressWatch> {
    const w = new AddressWatch(ns);
    await w.ready;
    return w;
  }

  /** Times `address` was deleted since the watch started (or since `from`). */
  deletions(address: string, from = 0): AddressEvent[] {
    return this.events.filter((e) => e.deleted && e.address === address && e.at >= from);
  }

  /** The first time `address` was added (since `from`), or undefined. */
  added(address: string, from = 0): AddressEvent | undefined {
    return this.events.find((e) => !e.deleted && e.address === address && e.at >= from);
  }

  stop(): void {
    this.child.kill();
  }
}
