/**
 * IPVS generic netlink messages <-> the lb model. Numbers from include/uapi/linux/ip_vs.h
 * (IPVS_GENL_VERSION 1; the API reports 1.2.1 on every kernel since 2.6.x).
 */
import { parseIp } from '#schema';
import type { ActualDestination, ActualService, Destination, ForwardingMethod, IpFamily, LbProtocol, LbStats, Persistence, Service, ServiceFlags, ServiceKey, Tunnel } from '../../lb/model.ts';
import { be16, be32, getBe16, getBe32, getStr, getU16, getU32, getU64, getU8, nested, parseAttrs, str, u16, u32, u8, attr } from './attrs.ts';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const Cmd = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;

const CMD_ATTR_SERVICE = 1;
const CMD_ATTR_DEST = 2;
const SVC = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9, STATS: 10, PE_NAME: 11, STATS64: 12 } as const;
const DEST = { ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8, PERSIST_CONNS: 9, STATS: 10, ADDR_FAMILY: 11, STATS64: 12, TUN_TYPE: 13, TUN_PORT: 14, TUN_FLAGS: 15 } as const;
const STATS = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10 } as const;
const INFO = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IP_VS_SVC_F_*; HASHED (0x2) is the kernel's own bookkeeping and never compared. */
const F_PERSISTENT = 0x1;
const F_ONEPACKET = 0x4;
const F_SCHED1 = 0x8;
const F_SCHED2 = 0x10;
const F_SCHED3 = 0x20;

const AF = { inet: 2, inet6: 10 } as const;
const PROTO: Record<LbProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const FWD: Record<ForwardingMethod, number> = { NAT: 0, LOCAL: 1, TUN: 2, DR: 3, BYPASS: 4 };
const TUN_TYPE = { ipip: 0, gue: 1, gre: 2 } as const;
/** IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM is 0 (no bit); CSUM = 1 << 0, REMCSUM = 1 << 1. */
const TUN_FLAG = { nocsum: 0, csum: 1, remcsum: 2 } as const;

function familyOf(af: number | undefined): IpFamily {
  if (af === AF.inet) return 'inet';
  if (af === AF.inet6) return 'inet6';
  throw new Error(`IPVS reported unknown address family ${af}`);
}

/** union nf_inet_addr: 16 bytes, an IPv4 address in the first 4. */
function addrBytes(address: string): Buffer {
  const ip = parseIp(address);
  if (!ip) throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  const b = Buffer.alloc(16);
  Buffer.from(ip.bytes).copy(b);
  return b;
}

function addrText(b: Buffer | undefined, family: IpFamily): string {
  if (!b) throw new Error('IPVS reply without an address');
  if (family === 'inet') return [...b.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return parseIp(groups.join(':'))!.canonical;
}

export function serviceKeyAttrs(key: ServiceKey): Buffer[] {
  const out = [u16(SVC.AF, AF[key.family])];
  if (key.kind === 'fwmark') out.push(u32(SVC.FWMARK, key.fwmark));
  else out.push(u16(SVC.PROTOCOL, PROTO[key.protocol]), attr(SVC.ADDR, addrBytes(key.address)), be16(SVC.PORT, key.port));
  return out;
}

function flagsBits(f: ServiceFlags, persistent: boolean): number {
  return (persistent ? F_PERSISTENT : 0) | (f.onePacket ? F_ONEPACKET : 0) | (f.sched1 ? F_SCHED1 : 0) | (f.sched2 ? F_SCHED2 : 0) | (f.sched3 ? F_SCHED3 : 0);
}

/** IPv4 netmask goes as a be32 mask, IPv6 as a prefix length in host order (ip_vs_ctl.c). */
function netmaskAttr(family: IpFamily, p: Persistence | undefined): Buffer {
  if (family === 'inet6') return u32(SVC.NETMASK, p?.netmaskPrefix ?? 128);
  const len = p?.netmaskPrefix ?? 32;
  return be32(SVC.NETMASK, len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
}

/** IPVS_CMD_ATTR_SERVICE for NEW/SET_SERVICE: identity plus every settable field. */
export function serviceAttr(s: Omit<Service, 'destinations'>): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(flagsBits(s.flags, s.persistence !== undefined), 0);
  flags.writeUInt32LE(0xffffffff, 4); // mask: Vigil sets every flag it knows, so none linger from before
  return nested(CMD_ATTR_SERVICE, [
    ...serviceKeyAttrs(s.key),
    str(SVC.SCHED_NAME, s.scheduler),
    attr(SVC.FLAGS, flags),
    u32(SVC.TIMEOUT, s.persistence?.timeoutSec ?? 0),
    netmaskAttr(s.key.family, s.persistence),
    ...(s.persistenceEngine ? [str(SVC.PE_NAME, s.persistenceEngine)] : []),
  ]);
}

export function serviceKeyAttr(key: ServiceKey): Buffer {
  return nested(CMD_ATTR_SERVICE, serviceKeyAttrs(key));
}

export function destinationAttr(d: Destination): Buffer {
  const t = d.method === 'TUN' ? d.tunnel ?? { type: 'ipip', port: 0, checksum: 'nocsum' } : undefined;
  return nested(CMD_ATTR_DEST, [
    attr(DEST.ADDR, addrBytes(d.address)),
    be16(DEST.PORT, d.port),
    u16(DEST.ADDR_FAMILY, AF[d.family]),
    u32(DEST.FWD_METHOD, FWD[d.method]),
    u32(DEST.WEIGHT, d.weight),
    u32(DEST.U_THRESH, d.upperThreshold),
    u32(DEST.L_THRESH, d.lowerThreshold),
    ...(t ? [u8(DEST.TUN_TYPE, TUN_TYPE[t.type]), be16(DEST.TUN_PORT, t.port), u16(DEST.TUN_FLAGS, TUN_FLAG[t.checksum])] : []),
  ]);
}

/** DEL_DEST needs only the address, port and family. */
export function destinationKeyAttr(d: Pick<Destination, 'address' | 'port' | 'family'>): Buffer {
  return nested(CMD_ATTR_DEST, [attr(DEST.ADDR, addrBytes(d.address)), be16(DEST.PORT, d.port), u16(DEST.ADDR_FAMILY, AF[d.family])]);
}

function parseStats(b: Buffer | undefined, wide: boolean): LbStats {
  const m = b ? parseAttrs(b) : new Map<number, Buffer>();
  const g = (t: number) => (wide ? getU64(m, t) : (t === STATS.INBYTES || t === STATS.OUTBYTES ? getU64(m, t) : getU32(m, t))) ?? 0;
  return { conns: g(STATS.CONNS), inPkts: g(STATS.INPKTS), outPkts: g(STATS.OUTPKTS), inBytes: g(STATS.INBYTES), outBytes: g(STATS.OUTBYTES), cps: g(STATS.CPS), inPps: g(STATS.INPPS), outPps: g(STATS.OUTPPS), inBps: g(STATS.INBPS), outBps: g(STATS.OUTBPS) };
}

function statsOf(m: Map<number, Buffer>, s64: number, s32: number): LbStats {
  return m.has(s64) ? parseStats(m.get(s64), true) : parseStats(m.get(s32), false);
}

/** One GET_SERVICE reply payload (after the genl header) -> a service without destinations. */
export function parseService(payload: Buffer): ActualService {
  const top = parseAttrs(payload);
  const inner = top.get(CMD_ATTR_SERVICE);
  if (!inner) throw new Error('IPVS GET_SERVICE reply without IPVS_CMD_ATTR_SERVICE');
  const m = parseAttrs(inner);
  const family = familyOf(getU16(m, SVC.AF));
  const fwmark = getU32(m, SVC.FWMARK) ?? 0;
  let key: ServiceKey;
  if (fwmark) key = { kind: 'fwmark', family, fwmark };
  else {
    const p = getU16(m, SVC.PROTOCOL);
    const protocol = (Object.keys(PROTO) as LbProtocol[]).find((k) => PROTO[k] === p);
    if (!protocol) throw new Error(`IPVS reported unknown protocol ${p}`);
    key = { kind: 'address', family, protocol, address: addrText(m.get(SVC.ADDR), family), port: getBe16(m, SVC.PORT) ?? 0 };
  }
  const bits = m.get(SVC.FLAGS)?.readUInt32LE(0) ?? 0;
  const netmaskPrefix = family === 'inet6' ? (getU32(m, SVC.NETMASK) ?? 128) : popcount32(getBe32(m, SVC.NETMASK) ?? 0xffffffff);
  const pe = getStr(m, SVC.PE_NAME);
  return {
    key,
    scheduler: getStr(m, SVC.SCHED_NAME) as Service['scheduler'],
    flags: { onePacket: !!(bits & F_ONEPACKET), sched1: !!(bits & F_SCHED1), sched2: !!(bits & F_SCHED2), sched3: !!(bits & F_SCHED3) },
    ...(bits & F_PERSISTENT ? { persistence: { timeoutSec: getU32(m, SVC.TIMEOUT) ?? 0, netmaskPrefix } } : {}),
    ...(pe ? { persistenceEngine: pe } : {}),
    destinations: [],
    stats: statsOf(m, SVC.STATS64, SVC.STATS),
  };
}

function popcount32(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x; x >>>= 1) n += x & 1;
  return n;
}

/** One GET_DEST reply payload -> a destination with counters. */
export function parseDestination(payload: Buffer, serviceFamily: IpFamily): ActualDestination {
  const inner = parseAttrs(payload).get(CMD_ATTR_DEST);
  if (!inner) throw new Error('IPVS GET_DEST reply without IPVS_CMD_ATTR_DEST');
  const m = parseAttrs(inner);
  const af = getU16(m, DEST.ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : familyOf(af);
  const fwd = getU32(m, DEST.FWD_METHOD) ?? 0;
  const method = (Object.keys(FWD) as ForwardingMethod[]).find((k) => FWD[k] === (fwd & 7)) ?? 'NAT';
  let tunnel: Tunnel | undefined;
  if (method === 'TUN') {
    const tt = getU8(m, DEST.TUN_TYPE) ?? 0;
    const tf = getU16(m, DEST.TUN_FLAGS) ?? 0;
    tunnel = {
      type: tt === TUN_TYPE.gue ? 'gue' : tt === TUN_TYPE.gre ? 'gre' : 'ipip',
      port: getBe16(m, DEST.TUN_PORT) ?? 0,
      checksum: tf & TUN_FLAG.remcsum ? 'remcsum' : tf & TUN_FLAG.csum ? 'csum' : 'nocsum',
    };
  }
  return {
    family,
    address: addrText(m.get(DEST.ADDR), family),
    port: getBe16(m, DEST.PORT) ?? 0,
    method,
    ...(tunnel ? { tunnel } : {}),
    weight: getU32(m, DEST.WEIGHT) ?? 0,
    upperThreshold: getU32(m, DEST.U_THRESH) ?? 0,
    lowerThreshold: getU32(m, DEST.L_THRESH) ?? 0,
    activeConns: getU32(m, DEST.ACTIVE_CONNS) ?? 0,
    inactiveConns: getU32(m, DEST.INACT_CONNS) ?? 0,
    persistentConns: getU32(m, DEST.PERSIST_CONNS) ?? 0,
    stats: statsOf(m, DEST.STATS64, DEST.STATS),
  };
}

export interface IpvsInfo {
  /** "1.2.1" */
  version: string;
  connTableSize: number;
}

export function parseInfo(payload: Buffer): IpvsInfo {
  const m = parseAttrs(payload);
  const v = getU32(m, INFO.VERSION) ?? 0;
  return { version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, connTableSize: getU32(m, INFO.CONN_TAB_SIZE) ?? 0 };
}
