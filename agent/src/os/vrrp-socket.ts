/**
 * Real VRRP sockets: raw IP protocol 112 through the vigil_net addon.
 *
 * One socket per (family, interface, group), like keepalived's socket pool: bound to the device
 * (SO_BINDTODEVICE), joined to its group (224.0.0.18 / ff02::12 or `mcast_dst_ip`) on that
 * ifindex, TTL / hop limit 255 on send (RFC 5798 §5.1.1.3 / §5.1.2.3), multicast loop off so we
 * never hear ourselves. The received TTL and destination are reported for every packet, not
 * checked: vrrp/validate.ts applies RFC 5798 §7.1 to all of them (see vrrp/RECEIVE.md).
 */
import { SOCKET_KIND, errnoResult, loadNative, type NativeSocket } from './native.ts';
import { defaultSourceAddress, ifIndex } from './interfaces.ts';
import type { OsResult, VrrpPacket, VrrpSendOptions, VrrpSocket, VrrpSocketFactory, VrrpSocketOptions } from './ports.ts';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';
const VRRP_TTL = 255;
const SOURCE_CACHE_MS = 1000;

/** Opens a VRRP socket; needs CAP_NET_RAW. A missing interface or refused socket is a result. */
export function openVrrpSocket(options: VrrpSocketOptions): OsResult<VrrpSocket> {
  const { family, ifname } = options;
  if (family !== 4 && family !== 6) throw new TypeError(`openVrrpSocket: family must be 4 or 6, got ${String(family)}`);
  const ifindex = ifIndex(ifname);
  if (ifindex === 0) return { ok: false, code: 'ENODEV', message: `interface ${ifname} does not exist` };
  const multicast = options.multicast ?? true;
  const groups = multicast ? [options.group ?? (family === 4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6)] : [];
  let native: NativeSocket;
  try {
    const { Socket } = loadNative();
    native = new Socket(family === 4 ? SOCKET_KIND.ip4 : SOCKET_KIND.ip6, VRRP_PROTOCOL, ifindex, ifname, groups, VRRP_TTL, false);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && /^E[A-Z]+$/.test(code)) return { ok: false, code, message: `VRRP socket on ${ifname}: ${(err as Error).message}` };
    throw err;
  }
  return { ok: true, value: new LinuxVrrpSocket(native, family, ifname, ifindex, options.sourceAddress, multicast) };
}

class LinuxVrrpSocket implements VrrpSocket {
  private readonly listeners = new Set<(pkt: VrrpPacket) => void>();
  private readonly sourceCache = new Map<string, { address: string | undefined; at: number; refreshing: boolean }>();
  private closed = false;
  private readonly paceIds = new Map<string, number>();
  private nextPaceId = 0;

  constructor(
    private readonly native: NativeSocket,
    readonly family: 4 | 6,
    readonly ifname: string,
    private readonly ifindex: number,
    private readonly sourceAddress: string | undefined,
    private readonly multicast: boolean,
  ) {
    native.start((err, payload, src, dst, ttl, pktIfindex, ageMs) => {
      if (err) {
        // A receive error (e.g. ENETDOWN while the link flaps) is transient: the next readable
        // event will try again. Surface it to whoever listens on the process.
        process.emitWarning(`VRRP socket on ${ifname}: ${err.message}`, { code: 'VIGIL_VRRP_RECV' });
        return;
      }
      // IPv6 raw sockets not bound to a local address match every multicast destination on the
      // device whatever IPV6_MULTICAST_ALL says (raw_v6_match() only consults the membership
      // list when sk_v6_rcv_saddr is set), so a unicast-only socket drops group traffic here, as
      // the kernel does for IPv4 (IP_MULTICAST_ALL 0, no group joined). Uncounted on purpose:
      // it is the other instances' traffic on the link, not a packet for this socket. (A
      // multicast socket gets every group too; validate.ts counts those as 'dst'.)
      if (!this.multicast && isMulticast(dst)) return;
      const pkt: VrrpPacket = { payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), src, dst, ttl, ifindex: pktIfindex };
      if (ageMs >= 0) pkt.receivedAt = performance.now() - ageMs;
      for (const cb of this.listeners) cb(pkt);
    });
  }

  send(payload: Uint8Array, dst: string, options?: VrrpSendOptions): OsResult {
    if (this.closed) throw new Error(`VRRP socket on ${this.ifname} is closed`);
    const ttl = options?.ttl ?? 0;
    if (ttl !== 0 && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= 255)) throw new RangeError(`ttl must be 1..255, got ${ttl}`);
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    // The source is always explicit (IP_PKTINFO), so it is the one localAddress() reported and
    // the pseudo-header checksum the codec computed matches what goes on the wire.
    const source = this.localAddress(dst);
    if (source === undefined) return { ok: false, code: 'EADDRNOTAVAIL', message: `no IPv${this.family} source address on ${this.ifname} for ${dst}` };
    const n = this.native.send(buf, dst, this.ifindex, source, ttl);
    if (n < 0) return errnoResult(n, `send VRRP to ${dst} on ${this.ifname}`);
    return { ok: true, value: undefined };
  }

  pace(key: string, payload: Uint8Array, dst: string, firstAt: number, periodMs: number, options?: VrrpSendOptions): OsResult {
    if (this.closed) throw new Error(`VRRP socket on ${this.ifname} is closed`);
    const ttl = options?.ttl ?? 0;
    if (ttl !== 0 && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= 255)) throw new RangeError(`ttl must be 1..255, got ${ttl}`);
    const source = this.localAddress(dst);
    if (source === undefined) return { ok: false, code: 'EADDRNOTAVAIL', message: `no IPv${this.family} source address on ${this.ifname} for ${dst}` };
    let id = this.paceIds.get(key);
    if (id === undefined) this.paceIds.set(key, (id = this.nextPaceId++));
    // performance.now() and CLOCK_MONOTONIC tick together (libuv's hrtime is CLOCK_MONOTONIC);
    // only their origins differ.
    const firstAtMonotonic = firstAt + (loadNative().monotonicMs() - performance.now());
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.native.pace(id, buf, dst, this.ifindex, source, ttl, firstAtMonotonic, periodMs);
    return { ok: true, value: undefined };
  }

  unpace(key: string): void {
    const id = this.paceIds.get(key);
    if (id === undefined || this.closed) return;
    this.native.unpace(id);
    this.paceIds.delete(key);
  }

  /** Adverts the pacer sent for `key` (tests, status). */
  pacedCount(key: string): number | undefined {
    const id = this.paceIds.get(key);
    return id === undefined ? undefined : this.native.paced(id)?.sent;
  }

  onPacket(cb: (pkt: VrrpPacket) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  localAddress(dst?: string): string | undefined {
    if (this.sourceAddress) return this.sourceAddress;
    // getifaddrs() builds every interface's address list (~0.5 ms, and garbage): never on the
    // advert or takeover path. The answer is kept and refreshed off the path (setImmediate) once
    // it is a second old, as keepalived keeps the interface address until netlink says otherwise;
    // only the very first lookup per destination is synchronous.
    const key = dst ?? '';
    const now = performance.now();
    const hit = this.sourceCache.get(key);
    if (hit) {
      if (now - hit.at >= SOURCE_CACHE_MS && !hit.refreshing) {
        hit.refreshing = true;
        setImmediate(() => {
          if (!this.closed) this.sourceCache.set(key, { address: defaultSourceAddress(this.ifname, this.family, dst), at: performance.now(), refreshing: false });
        });
      }
      return hit.address;
    }
    const address = defaultSourceAddress(this.ifname, this.family, dst);
    this.sourceCache.set(key, { address, at: now, refreshing: false });
    return address;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.native.close();
  }
}

function isMulticast(address: string): boolean {
  if (address.includes(':')) return /^ff/i.test(address);
  const first = Number(address.split('.', 1)[0]);
  return first >= 224 && first <= 239;
}

/** The factory the runtime receives. */
export const linuxVrrpSockets: VrrpSocketFactory = {
  open: async (options) => openVrrpSocket(options),
};
