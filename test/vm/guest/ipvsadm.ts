/**
 * The independent witness for the contract suite: what `ipvsadm -Ln` (the kernel's own tool,
 * over the same genl API but through libipvs) says the table holds, and what it should say
 * for a desired service, rendered by hand from ipvsadm 1.31's output format.
 */
import { execFileSync } from 'node:child_process';
import type { Destination, Service } from '../../../agent/src/lb/model.ts';

export interface IpvsadmDest { forward: string; tunnel: string; weight: number; upper: number; lower: number }
export interface IpvsadmService { line: string; dests: Map<string, IpvsadmDest> }

export function ipvsadm(...args: string[]): string {
  return execFileSync('ipvsadm', args, { encoding: 'utf8' });
}

function sections(text: string): { line: string; dests: { id: string; cols: string[] }[] }[] {
  const out: { line: string; dests: { id: string; cols: string[] }[] }[] = [];
  for (const raw of text.split('\n').slice(3)) {
    if (!raw.trim()) continue;
    const m = /^\s+->\s+(\S+)\s+(.*)$/.exec(raw);
    if (m) out.at(-1)!.dests.push({ id: m[1]!, cols: m[2]!.trim().split(/\s+/) });
    else out.push({ line: raw.trim().replace(/\s+/g, ' '), dests: [] });
  }
  return out;
}

/** `ipvsadm -Ln --tun-info` + `--thresholds`, keyed by the service's "PROTO addr" / "FWM n [IPv6]". */
export function ipvsadmTable(): Map<string, IpvsadmService> {
  const tun = sections(ipvsadm('-Ln', '--tun-info'));
  const thr = sections(ipvsadm('-Ln', '--thresholds'));
  const table = new Map<string, IpvsadmService>();
  tun.forEach((s, i) => {
    const dests = new Map<string, IpvsadmDest>();
    s.dests.forEach((d, j) => {
      const t = thr[i]!.dests[j]!.cols;
      dests.set(d.id, { forward: d.cols[0]!, tunnel: d.cols[1]!, weight: Number(d.cols[2]), upper: Number(t[0]), lower: Number(t[1]) });
    });
    table.set(serviceHead(s.line), { line: s.line, dests });
  });
  return table;
}

function serviceHead(line: string): string {
  const parts = line.split(' ');
  return parts[0] === 'FWM' && parts[2] === 'IPv6' ? parts.slice(0, 3).join(' ') : parts.slice(0, 2).join(' ');
}

function hostPort(address: string, family: string, port: number): string {
  return family === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}

export function expectedHead(s: Pick<Service, 'key'>): string {
  const k = s.key;
  // ipvsadm prints the mark with %d: marks >= 2^31 show negative.
  if (k.kind === 'fwmark') return `FWM ${k.fwmark | 0}${k.family === 'inet6' ? ' IPv6' : ''}`;
  return `${k.protocol} ${hostPort(k.address, k.family, k.port)}`;
}

/** The service line ipvsadm 1.31 prints (print_service_entry), whitespace collapsed. */
export function expectedLine(s: Omit<Service, 'destinations'>): string {
  const names = s.scheduler === 'sh' || s.scheduler === 'mh'
    ? [`${s.scheduler}-fallback`, `${s.scheduler}-port`, 'flag-3'] : ['flag-1', 'flag-2', 'flag-3'];
  const flags = [s.flags.sched1, s.flags.sched2, s.flags.sched3].map((on, i) => (on ? names[i] : '')).filter(Boolean);
  let line = `${expectedHead(s)} ${s.scheduler}`;
  if (flags.length) line += ` (${flags.join(',')})`;
  if (s.persistence) {
    line += ` persistent ${s.persistence.timeoutSec}`;
    const p = s.persistence.netmaskPrefix;
    if (s.key.family === 'inet' && p !== 32) {
      const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
      line += ` mask ${[24, 16, 8, 0].map((sh) => (m >>> sh) & 0xff).join('.')}`;
    }
    if (s.key.family === 'inet6' && p !== 128) line += ` mask ${p}`;
    if (s.persistenceEngine) line += ` pe ${s.persistenceEngine}`;
  }
  if (s.flags.onePacket) line += ' ops';
  return line;
}

export function expectedDest(d: Destination): [string, IpvsadmDest] {
  const forward = { NAT: 'Masq', DR: 'Route', TUN: 'Tunnel', LOCAL: 'Local', BYPASS: 'Bypass' }[d.method];
  let tunnel = 'n/a';
  if (d.method === 'TUN' && d.tunnel) {
    // print_tunnel_info(): ipip has no options; gue shows its port; gue and gre show the
    // checksum mode as -c (nocsum), +c (csum) or r+c (remcsum).
    const c = { nocsum: '-c', csum: '+c', remcsum: 'r+c' }[d.tunnel.checksum];
    tunnel = d.tunnel.type === 'ipip' ? 'ipip' : d.tunnel.type === 'gue' ? `gue:${d.tunnel.port}:${c}` : `gre:${c}`;
  }
  return [hostPort(d.address, d.family, d.port), { forward, tunnel, weight: d.weight, upper: d.upperThreshold, lower: d.lowerThreshold }];
}
