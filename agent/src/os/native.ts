/**
 * Loads the vigil_net addon (agent/native). It is built by the root `install` script during
 * `npm ci`; when it is missing the error says how to build it instead of a bare MODULE_NOT_FOUND.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

/** Socket kinds understood by the addon (ping4/ping6: ICMP datagram sockets, for PING_CHECK). */
export const SOCKET_KIND = { ip4: 4, ip6: 6, packet: 17, ping4: 104, ping6: 106 } as const;

export type PacketCallback = (
  err: (Error & { code?: string }) | null,
  payload: Buffer,
  src: string,
  dst: string,
  ttl: number,
  ifindex: number,
  /** ms since the kernel received the packet (SO_TIMESTAMPNS), -1 when unknown. */
  ageMs: number,
) => void;

export interface NativeSocket {
  start(cb: PacketCallback): void;
  /** Bytes sent, or -errno for an expected kernel refusal. */
  send(payload: Buffer, dst: string, ifindex?: number, source?: string | null, hopLimit?: number): number;
  close(): void;
  /** Advert pacer (see vigil_net.c): send `payload` at monotonic `firstAtMs` and every `periodMs`. */
  pace(id: number, payload: Buffer, dst: string, ifindex: number, source: string | null, hopLimit: number, firstAtMs: number, periodMs: number): void;
  unpace(id: number): void;
  paced(id: number): { sent: number; lastError: number } | null;
}

export interface NativeAddon {
  Socket: new (
    kind: number,
    protocol: number,
    ifindex: number,
    device: string | null,
    groups: string[],
    hopLimit: number,
    multicastLoop: boolean,
    /** bind(2) to this local address (a checker's bindto). */
    bindAddress?: string | null,
    /** SO_MARK (a checker's fwmark); 0 = none. */
    mark?: number,
  ) => NativeSocket;
  ifIndex(name: string): number;
  hardwareAddress(name: string): string;
  /** CLOCK_MONOTONIC in ms: the pacer's time base. */
  monotonicMs(): number;
  /** malloc_trim(0): freed malloc memory of every arena back to the kernel; whether any was. */
  mallocTrim(): boolean;
  /** A non-blocking TCP socket with SO_MARK (`mark`, 0 = none) and SO_BINDTODEVICE (`device`) set, not connected: its fd. */
  streamSocket(family: 4 | 6, mark: number, device: string | null): number;
  /** SO_MARK / SO_BINDTODEVICE on an existing socket `fd` (a checker's UDP socket). */
  socketOptions(fd: number, mark: number, device: string | null): void;
  /** execve(2): this process becomes `argv` (same pid, stdio kept); returns only by throwing (agent/bin/vigil.cjs). */
  exec(path: string, argv: string[], env: string[]): never;
}

// VIGIL_NATIVE_ADDON: where an installed (bundled) agent keeps the addon (install.sh sets it).
const addonPath = process.env.VIGIL_NATIVE_ADDON ?? fileURLToPath(new URL('../../native/build/vigil_net.node', import.meta.url));
let cached: NativeAddon | undefined;

/** The addon, loaded once. Throws a clear error when it has not been built. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new Error(
      `vigil native addon not built: ${addonPath} is missing. Run \`npm ci\` (its install script builds it) ` +
        'or `node agent/native/build.mjs` (needs a C compiler and the node headers).',
    );
  }
  try {
    cached = createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch (err) {
    throw new Error(`vigil native addon at ${addonPath} failed to load; rebuild it with \`node agent/native/build.mjs\``, { cause: err });
  }
  return cached;
}

/** A negative errno from the addon as a result failure. */
export function errnoResult(code: number, what: string): { ok: false; code: string; message: string } {
  const name = errnoName(code);
  return { ok: false, code: name, message: `${what}: ${name}` };
}

function errnoName(negErrno: number): string {
  try {
    // util.getSystemErrorName takes the negative libuv-style errno.
    return getSystemErrorName(negErrno);
  } catch {
    return `E${-negErrno}`;
  }
}
