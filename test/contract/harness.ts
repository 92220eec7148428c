/**
 * Shapes shared by the OS-port contract suites. A suite runs against the in-memory fakes (in
 * process) and against the Linux implementations inside network namespaces, where the port lives
 * in a child process and the test talks to it through a proxy: so methods may return promises
 * where the port itself is synchronous (`send`, `localAddress`, `close`).
 */
import type { OsResult, VrrpPacket, VrrpSendOptions, VrrpSocketOptions } from '#agent/os/ports.ts';

export type Awaitable<T> = T | Promise<T>;

/** A VrrpSocket, possibly remote. */
export interface VrrpSocketUnderTest {
  send(payload: Uint8Array, dst: string, options?: VrrpSendOptions): Awaitable<OsResult>;
  onPacket(cb: (pkt: VrrpPacket) => void): () => void;
  localAddress(dst?: string): Awaitable<string | undefined>;
  close(): Awaitable<void>;
}

export interface HostUnderTest {
  ipv4: string;
  ipv6: string;
  open(options: VrrpSocketOptions): Promise<OsResult<VrrpSocketUnderTest>>;
  setLinkUp(up: boolean): Promise<void>;
}

/** Waits for the first packet matching `pred`, or fails after `timeoutMs`. */
export function nextPacket(sock: VrrpSocketUnderTest, pred: (p: VrrpPacket) => boolean, timeoutMs = 3000): Promise<VrrpPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching VRRP packet within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = sock.onPacket((p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

/** Records every packet a socket receives. */
export function record(sock: VrrpSocketUnderTest): VrrpPacket[] {
  const seen: VrrpPacket[] = [];
  sock.onPacket((p) => seen.push(p));
  return seen;
}

/** A fake VRRP message whose second byte (the VRID position) tags the test case. */
export function advert(tag: number, bytes = 20): Uint8Array {
  const b = new Uint8Array(bytes);
  b[0] = 0x31;
  b[1] = tag;
  for (let i = 2; i < bytes; i++) b[i] = (i * 7 + tag) & 0xff;
  return b;
}

export function unwrap<T>(r: OsResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.value;
}
