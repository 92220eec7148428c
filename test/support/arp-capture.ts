/**
 * Gratuitous ARPs seen on a capture host, with the kernel's receive timestamps (tcpdump -tt):
 * when each VIP was announced, independent of when tcpdump's output reaches us.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Garp { at: number; ip: string; /** Sender's MAC (Ethernet source). */ mac: string }

export class ArpCapture {
  readonly garps: Garp[] = [];
  /** Every ARP line tcpdump printed (for debugging a capture). */
  readonly lines: string[] = [];
  private readonly child: ChildProcess;

  private constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-tt', '-e', '-n', '-l', '-i', 'eth0', 'arp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      if (this.lines.length < 10_000) this.lines.push(l);
      // "1764770000.123456 02:00:00:00:01:03 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42:
      //  Request who-has 192.0.2.171 [(ff:ff:ff:ff:ff:ff)] tell 192.0.2.171, length 28": sender = target.
      const m = /^(\d+\.\d+) (\S+) > .*Request who-has (\S+)(?: \([^)]*\))? tell (\S+),/.exec(l);
      if (m && m[3] === m[4]) this.garps.push({ at: Number(m[1]) * 1000, mac: m[2]!, ip: m[3]! });
    });
  }

  static async start(ns: string): Promise<ArpCapture> {
    const c = new ArpCapture(ns);
    await new Promise((r) => setTimeout(r, 300)); // tcpdump opens its socket
    return c;
  }

  /** The first announcement of each of `ips` after `from` (by `mac` when given), or undefined for one not seen. */
  firsts(ips: string[], from: number, mac?: string): Map<string, number | undefined> {
    return new Map(ips.map((ip) => [ip, this.garps.find((g) => g.ip === ip && g.at >= from && (!mac || g.mac === mac))?.at]));
  }

  /**
   * A group takeover's announcement spread after `from` (by the new master, `mac`): first GARP of
   * any of `ips` to the first GARP of the last of them, i.e. when the whole group is announced.
   * NaN when a VIP was not announced.
   */
  spread(ips: string[], from: number, mac?: string): { allAnnouncedMs: number; firstAt: number } {
    const f = [...this.firsts(ips, from, mac).values()];
    if (f.some((x) => x === undefined)) return { allAnnouncedMs: NaN, firstAt: NaN };
    const t = f as number[];
    return { allAnnouncedMs: Math.max(...t) - Math.min(...t), firstAt: Math.min(...t) };
  }

  stop(): void {
    this.child.kill();
  }
}
