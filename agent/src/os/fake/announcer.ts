/** In-memory announcer: GARPs and NAs appear in the host's segment `announcements`. */
import { familyOf } from '../ip-text.ts';
import type { Announcer, OsResult } from '../ports.ts';
import type { FakeHost } from './segment.ts';

export class FakeAnnouncer implements Announcer {
  constructor(private readonly host: FakeHost) {}

  async garp(ifname: string, ip: string, options?: { mac?: string }): Promise<OsResult> {
    if (familyOf(ip) !== 4) throw new TypeError(`garp: ${ip} is not an IPv4 address`);
    return this.send('garp', ifname, ip, options?.mac);
  }

  async unsolicitedNa(ifname: string, ip: string, options?: { mac?: string; router?: boolean }): Promise<OsResult> {
    if (familyOf(ip) !== 6) throw new TypeError(`unsolicitedNa: ${ip} is not an IPv6 address`);
    return this.send('na', ifname, ip, options?.mac, options?.router ?? false);
  }

  burst(items: ReadonlyArray<{ ifname: string; ip: string }>): OsResult[] {
    return items.map(({ ifname, ip }) => this.send(familyOf(ip) === 4 ? 'garp' : 'na', ifname, ip, undefined, familyOf(ip) === 6 ? false : undefined));
  }

  close(): void {}

  private send(kind: 'garp' | 'na', ifname: string, ip: string, mac: string | undefined, router?: boolean): OsResult {
    const iface = this.host.iface(ifname);
    const what = `${kind === 'garp' ? 'gratuitous ARP' : 'unsolicited NA'} for ${ip} on ${ifname}`;
    if (!iface) return { ok: false, code: 'ENODEV', message: `${what}: interface ${ifname} does not exist` };
    if (!iface.up) return { ok: false, code: 'ENETDOWN', message: `${what}: ENETDOWN` };
    if (iface.running && iface.segment) {
      iface.segment.announce({ kind, ip, mac: mac ?? iface.mac, from: this.host.name, ifname, ...(router === undefined ? {} : { router }) });
    }
    return { ok: true, value: undefined };
  }
}
