/**
 * Socket plumbing shared by the network probes: where to connect (connect_ip / connect_port),
 * where from (bindto / bind_port), with which mark and through which device (fwmark: SO_MARK,
 * bind_if: SO_BINDTODEVICE), and sockets that the probe scope destroys when the attempt ends,
 * whichever way it ends.
 *
 * Node cannot set SO_MARK or SO_BINDTODEVICE, and both must be in place before a TCP socket
 * connects (they steer the route lookup), so a checker with either gets its TCP socket from the
 * project's native addon (vigil_net `streamSocket`), which Node then adopts and connects; a UDP
 * socket gets them right after bind (`socketOptions`). bind_if also scopes an IPv6 link-local
 * address (what keepalived documents it for).
 */
import { connect as netConnect, isIP, isIPv6, Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { loadNative } from '../../os/native.ts';
import type { ProbeScope, ProbeTarget } from '../probe.ts';

/** The connection options every network checker has (a subset of the spec's fields). */
export interface ConnOptions {
  connectIp?: string | undefined;
  connectPort?: number | undefined;
  bindTo?: string | undefined;
  bindIf?: string | undefined;
  bindPort?: number | undefined;
  fwmark?: number | undefined;
}

export interface Endpoint {
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** SO_MARK on the probe's socket (`fwmark`). */
  mark?: number;
  /** SO_BINDTODEVICE (`bind_if`). */
  device?: string;
}

const isLinkLocal6 = (a: string) => isIPv6(a) && /^fe[89ab][0-9a-f]:/i.test(a) && !a.includes('%');

/** connect_ip/connect_port over the real server's address/port, with the bind options. */
export function endpoint(co: ConnOptions, target: ProbeTarget): Endpoint {
  const scoped = (a: string) => (co.bindIf && isLinkLocal6(a) ? `${a}%${co.bindIf}` : a);
  const ep: Endpoint = { host: scoped(co.connectIp ?? target.address), port: co.connectPort ?? target.port };
  if (co.bindTo) ep.localAddress = scoped(co.bindTo);
  if (co.bindPort) ep.localPort = co.bindPort;
  if (co.fwmark) ep.mark = co.fwmark;
  if (co.bindIf) ep.device = co.bindIf;
  return ep;
}

/** A TCP socket carrying the endpoint's mark and device, not yet connected (Node adopts the fd). */
function markedSocket(ep: Endpoint): Socket {
  const fd = loadNative().streamSocket(isIPv6(ep.host.split('%')[0]!) ? 6 : 4, ep.mark ?? 0, ep.device ?? null);
  return new Socket({ fd, readable: true, writable: true });
}

/**
 * The endpoint's mark and device on a UDP socket Node opened (after bind, before connect). The
 * fd comes from dgram's internal state (the public `_handle` is deprecated and warns).
 */
export function markUdpSocket(socket: object, ep: Endpoint): void {
  if (!ep.mark && !ep.device) return;
  const state = Object.getOwnPropertySymbols(socket).find((k) => k.description === 'state symbol');
  const fd = (state ? (socket as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd : undefined) ?? -1;
  if (fd < 0) throw new ProbeError('fwmark/bind_if: the UDP socket has no file descriptor to set them on');
  loadNative().socketOptions(fd, ep.mark ?? 0, ep.device ?? null);
}

/** Resolves once the TCP connection is up; the socket is destroyed when the probe ends. */
export function tcpConnect(scope: ProbeScope, ep: Endpoint): Promise<Socket> {
  scope.phase('connecting');
  return new Promise((resolve, reject) => {
    const options = {
      host: ep.host,
      port: ep.port,
      ...(ep.localAddress ? { localAddress: ep.localAddress } : {}),
      ...(ep.localPort ? { localPort: ep.localPort } : {}),
      // An IP literal: no DNS, no happy-eyeballs between families.
      autoSelectFamily: false,
    };
    let socket: Socket;
    try {
      socket = ep.mark || ep.device ? markedSocket(ep).connect(options) : netConnect(options);
    } catch (err) {
      reject(new ProbeError(errorText('socket', err as Error & { code?: string })));
      return;
    }
    scope.defer(() => socket.destroy());
    // A late error (reset after the result is decided) must never become an uncaught exception.
    socket.on('error', noop);
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err) => reject(new ProbeError(connectReason(err))));
  });
}

export interface TlsConnectOptions {
  /** SNI host name (enable_sni); none when undefined, as keepalived without enable_sni. */
  servername?: string | undefined;
  /** tls_compliant: send close_notify when done (keepalived sets quiet shutdown otherwise). */
  compliant?: boolean | undefined;
}

/** Resolves once the TLS handshake is done. keepalived does not verify the server certificate. */
export async function tlsConnectTo(scope: ProbeScope, ep: Endpoint, options: TlsConnectOptions): Promise<TLSSocket> {
  // With a mark or a device the TCP connection is made first (adopted socket), then TLS over it.
  const tcp = ep.mark || ep.device ? await tcpConnect(scope, ep) : undefined;
  scope.phase('connecting');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      ...(tcp ? { socket: tcp } : { host: ep.host, port: ep.port }),
      ...(!tcp && ep.localAddress ? { localAddress: ep.localAddress } : {}),
      ...(!tcp && ep.localPort ? { localPort: ep.localPort } : {}),
      rejectUnauthorized: false,
      // Without a servername Node sends no SNI for an IP literal, like keepalived without enable_sni.
      // RFC 6066 §3 forbids an IP address as SNI (Node warns): such a virtualhost sends none.
      ...(options.servername && !isIP(options.servername) ? { servername: options.servername } : {}),
    });
    scope.defer(() => {
      if (!options.compliant) return void socket.destroy();
      // close_notify, then make sure the socket goes even if the peer never closes its side.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    socket.on('error', noop);
    if (tcp) scope.phase('in TLS handshake');
    else socket.once('connect', () => scope.phase('in TLS handshake'));
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (err: Error & { code?: string; syscall?: string }) =>
      reject(new ProbeError(err.syscall === 'connect' ? connectReason(err) : errorText('TLS handshake', err))),
    );
  });
}

const noop = () => undefined;

/** An expected failure whose message is already the probe reason. */
export class ProbeError extends Error {}

function connectReason(err: Error & { code?: string }): string {
  return err.code ? `connect ${err.code}` : `connect: ${err.message}`;
}

/** "TLS handshake ECONNRESET" or "TLS handshake: <message>". */
export function errorText(what: string, err: Error & { code?: string }): string {
  return err.code && /^E[A-Z0-9]+$/.test(err.code) ? `${what} ${err.code}` : `${what}: ${err.message}`;
}
