/** In-memory VRRP sockets on a {@link FakeSegment}: same contract as os/vrrp-socket.ts. */
import { familyOf } from '../ip-text.ts';
import type { Clock, OsResult, TimerHandle, VrrpPacket, VrrpSendOptions, VrrpSocket, VrrpSocketFactory, VrrpSocketOptions } from '../ports.ts';
import type { FakeHost, FakeInterface } from './segment.ts';

const GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

export class FakeVrrpSocket implements VrrpSocket {
  readonly group: string;
  private readonly listeners = new Set<(pkt: VrrpPacket) => void>();
  private closed = false;
  /** Packets this socket sent, for assertions (`paced` marks the pacer's). */
  readonly sent: Array<{ payload: Uint8Array; dst: string; ttl: number; paced?: boolean }> = [];
  /** Pacer jobs by key (only when the factory was given a clock). */
  readonly pacing = new Map<string, { timer: TimerHandle; dst: string; periodMs: number; sent: number }>();

  constructor(
    readonly iface: FakeInterface,
    readonly family: 4 | 6,
    readonly joined: boolean,
    private readonly sourceAddress: string | undefined,
    clock?: Clock,
    group?: string,
  ) {
    this.group = group ?? GROUP[family];
    if (clock) {
      // Same contract as the native pacer: exact instants, drift-free, until unpace/close.
      this.pace = (key, payload, dst, firstAt, periodMs, options) => {
        this.unpace(key);
        const bytes = payload.slice();
        const job = { timer: undefined as unknown as TimerHandle, dst, periodMs, sent: 0 };
        let at = firstAt;
        const tick = () => {
          job.sent++;
          const r = this.send(bytes, dst, options);
          if (r.ok) this.sent[this.sent.length - 1]!.paced = true;
          at += periodMs;
          job.timer = clock.setTimeout(tick, Math.max(0, at - clock.now()));
        };
        job.timer = clock.setTimeout(tick, Math.max(0, at - clock.now()));
        this.pacing.set(key, job);
        return { ok: true, value: undefined };
      };
    }
  }

  pace?: VrrpSocket['pace'];

  unpace(key: string): void {
    this.pacing.get(key)?.timer.cancel();
    this.pacing.delete(key);
  }

  get ifname(): string {
    return this.iface.ifname;
  }

  send(payload: Uint8Array, dst: string, options?: VrrpSendOptions): OsResult {
    if (this.closed) throw new Error(`VRRP socket on ${this.ifname} is closed`);
    const ttl = options?.ttl ?? 255;
    if (!(Number.isInteger(ttl) && ttl >= 1 && ttl <= 255)) throw new RangeError(`ttl must be 1..255, got ${ttl}`);
    if (familyOf(dst) !== this.family) throw new TypeError(`send: ${dst} is not an IPv${this.family} address`);
    if (!this.iface.up) return { ok: false, code: 'ENETDOWN', message: `send VRRP to ${dst} on ${this.ifname}: ENETDOWN` };
    const src = this.localAddress(dst);
    if (src === undefined) return { ok: false, code: 'EADDRNOTAVAIL', message: `no IPv${this.family} source address on ${this.ifname} for ${dst}` };
    this.sent.push({ payload: payload.slice(), dst, ttl });
    // Sent on a link without carrier, the packet is lost silently, as on a real NIC.
    if (this.iface.running && this.iface.segment) this.iface.segment.transmit({ from: this, payload: payload.slice(), src, dst, ttl });
    return { ok: true, value: undefined };
  }

  onPacket(cb: (pkt: VrrpPacket) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  localAddress(dst?: string): string | undefined {
    if (this.sourceAddress) return this.sourceAddress;
    const addrs = this.iface.addresses.filter((a) => a.family === this.family);
    if (this.family === 4) return addrs[0]?.address;
    const wantLinkLocal = dst === undefined || /^ff/i.test(dst) || /^fe[89ab][0-9a-f]:/i.test(dst);
    return addrs.find((a) => (a.scope === 'link') === wantLinkLocal)?.address;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const key of [...this.pacing.keys()]) this.unpace(key);
    this.listeners.clear();
    this.iface.segment?.unregister(this);
  }

  /** @internal */
  deliver(pkt: VrrpPacket): void {
    if (this.closed) return;
    for (const cb of this.listeners) cb(pkt);
  }
}

export class FakeVrrpSocketFactory implements VrrpSocketFactory {
  /** Every socket opened (closed ones included), for assertions. */
  readonly opened: FakeVrrpSocket[] = [];

  /** `clock`: give the sockets a pacer driven by it (like the native one); none without. */
  constructor(private readonly host: FakeHost, private readonly clock?: Clock) {}

  async open(options: VrrpSocketOptions): Promise<OsResult<VrrpSocket>> {
    if (options.family !== 4 && options.family !== 6) throw new TypeError(`openVrrpSocket: family must be 4 or 6, got ${String(options.family)}`);
    const iface = this.host.iface(options.ifname);
    if (!iface || iface.ifname === 'lo') return { ok: false, code: 'ENODEV', message: `interface ${options.ifname} does not exist` };
    const sock = new FakeVrrpSocket(iface, options.family, options.multicast ?? true, options.sourceAddress, this.clock, options.group);
    iface.segment?.register(sock);
    this.opened.push(sock);
    return { ok: true, value: sock };
  }
}
