/**
 * keepalived's socket pool: one VRRP socket per (family, interface, transport, source), shared
 * by every instance on it, with packets dispatched by VRID. A packet no instance on the socket
 * claims (unknown VRID, or too short to carry one) is counted as a drop on each of them, so an
 * operator sees stray or forged traffic in `vigil status`. Step 3 of vrrp/RECEIVE.md.
 */
import type { OsResult, VrrpPacket, VrrpSocket, VrrpSocketFactory } from '../os/ports.ts';
import type { RunningInstance } from './instance.ts';
import { socketKeyId, type SocketKey } from './plan.ts';

interface PoolEntry {
  socket: VrrpSocket;
  members: Set<RunningInstance>;
  off: () => void;
}

export class SocketPool {
  private readonly entries = new Map<string, PoolEntry>();

  constructor(private readonly factory: VrrpSocketFactory) {}

  /** The socket for `key`, opened on first use. */
  async acquire(key: SocketKey): Promise<OsResult<VrrpSocket>> {
    const id = socketKeyId(key);
    const have = this.entries.get(id);
    if (have) return { ok: true, value: have.socket };
    const r = await this.factory.open({
      family: key.family, ifname: key.ifname, multicast: key.multicast,
      ...(key.group ? { group: key.group } : {}), ...(key.sourceAddress ? { sourceAddress: key.sourceAddress } : {}),
    });
    if (!r.ok) return r;
    const entry: PoolEntry = { socket: r.value, members: new Set(), off: () => {} };
    entry.off = r.value.onPacket((pkt) => dispatch(entry, pkt));
    this.entries.set(id, entry);
    return r;
  }

  join(key: SocketKey, inst: RunningInstance): void {
    this.entries.get(socketKeyId(key))?.members.add(inst);
  }

  /**
   * Removes the instance; closes the socket when it was the last one, unless `keepOpen` (a
   * reload whose prepared instances use it: `releaseUnused` closes it after the commit if not).
   */
  leave(key: SocketKey, inst: RunningInstance, keepOpen = false): void {
    const id = socketKeyId(key);
    const e = this.entries.get(id);
    if (!e) return;
    e.members.delete(inst);
    if (e.members.size === 0 && !keepOpen) {
      e.off();
      e.socket.close();
      this.entries.delete(id);
    }
  }

  /** Closes sockets no instance uses (opened by a preflight that was not followed through). */
  releaseUnused(): void {
    for (const [id, e] of this.entries) {
      if (e.members.size > 0) continue;
      e.off();
      e.socket.close();
      this.entries.delete(id);
    }
  }

  closeAll(): void {
    for (const e of this.entries.values()) {
      e.off();
      e.socket.close();
    }
    this.entries.clear();
  }
}

function dispatch(entry: PoolEntry, pkt: VrrpPacket): void {
  const vrid = pkt.payload.length >= 2 ? pkt.payload[1] : undefined;
  let claimed = false;
  for (const m of entry.members) {
    if (m.plan.fsm.vrid === vrid) {
      claimed = true;
      m.receive(pkt);
    }
  }
  if (claimed) return;
  for (const m of entry.members) m.dispatch({ type: 'advertRejected', reason: vrid === undefined ? 'length' : 'vrid' });
}
