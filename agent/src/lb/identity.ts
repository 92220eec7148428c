/**
 * Who a virtual server and a real server are, independent of where they sit in the config: the
 * kernel keys a service by protocol + VIP + port (or fwmark) and a destination by address +
 * port within it, and so does Vigil. Health, counters, drains, quorum and checker slots are
 * kept under these keys, so inserting a server before another, or reordering the list, moves
 * nothing (keepalived matches real servers the same way across a reload: migrate_checkers).
 *
 *   virtual server  "TCP 192.0.2.100:80", "UDP [2001:db8::1]:53", "FWM 5", "FWM 5 inet6", "group web"
 *   real server     "TCP 192.0.2.100:80 -> 10.0.0.1:8080"
 *
 * The rare duplicate (the same server listed twice) gets "#2", "#3"... in order. Pure.
 */
import { parseIp, type ClusterSpec } from '#schema';

type VirtualServer = ClusterSpec['virtualServers'][number];
type RealServer = VirtualServer['realServers'][number];

export interface LbIdentities {
  /** One key per virtual server, by index. */
  vs: string[];
  /** One key per real server, by virtual server index then real server index. */
  rs: string[][];
}

const canonical = (a: string) => parseIp(a)?.canonical ?? a;
const hostPort = (a: string, port: number) => (a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`);

/** The virtual server's own key, before duplicates are numbered. */
export function virtualServerId(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return vs.ipFamily ? `FWM ${vs.fwmark} ${vs.ipFamily}` : `FWM ${vs.fwmark}`;
  if (vs.group !== undefined) return `group ${vs.group}`;
  return `${vs.protocol} ${hostPort(canonical(vs.address ?? ''), vs.port ?? 0)}`;
}

/** The real server's key within its virtual server, before duplicates are numbered. */
export function realServerId(vsKey: string, vs: VirtualServer, rs: RealServer): string {
  return `${vsKey} -> ${hostPort(canonical(rs.address), rs.port ?? vs.port ?? 0)}`;
}

function numbered(keys: string[]): string[] {
  const seen = new Map<string, number>();
  return keys.map((k) => {
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k}#${n}`;
  });
}

export function lbIdentities(virtualServers: readonly VirtualServer[]): LbIdentities {
  const vs = numbered(virtualServers.map(virtualServerId));
  const rs = virtualServers.map((v, i) => numbered(v.realServers.map((r) => realServerId(vs[i]!, v, r))));
  return { vs, rs };
}
