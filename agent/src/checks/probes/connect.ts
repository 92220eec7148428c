/**
 * Socket plumbing shared by the network probes: where to connect (connect_ip / connect_port),
 * where from (bindto / bind_port), and sockets that the probe scope destroys when the attempt
 * ends, whichever way it ends.
 *
 * What Node cannot do and is therefore not honoured: `fwmark` (SO_MARK) and `bind_if`
 * (SO_BINDTODEVICE) except as the scope of an IPv6 link-local address, which is what keepalived
 * documents bind_if for ("needed if the bindto address is IPv6 link local").
 */
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { ProbeScope, ProbeTarget } from '../probe.ts';

/** The connection options every network checker has (a subset of the spec's fields). */
export interface ConnOptions {
  connectIp?: string | undefined;
  connectPort?: number | undefined;
  bindTo?: string | undefined;
  bindIf?: string | undefined;
  bindPort?: number | undefined;
}

export interface Endpoint {
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
}

const isLinkLocal6 = (a: string) => isIPv6(a) && /^fe[89ab][0-9a-f]:/i.test(a) && !a.includes('%');

/** connect_ip/connect_port over the real server's address/port, with the bind options. */
export function endpoint(co: ConnOptions, target: ProbeTarget): Endpoint {
  const scoped = (a: string) => (co.bindIf && isLinkLocal6(a) ? `${a}%${co.bindIf}` : a);
  const ep: Endpoint = { host: scoped(co.connectIp ?? target.address), port: co.connectPort ?? target.port };
  if (co.bindTo) ep.localAddress = scoped(co.bindTo);
  if (co.bindPort) ep.localPort = co.bindPort;
  return ep;
}

/** Resolves once the TCP connection is up; the socket is destroyed when the probe ends. */
export function tcpConnect(scope: ProbeScope, ep: Endpoint): Promise<Socket> {
  scope.phase('connecting');
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: ep.host,
      port: ep.port,
      ...(ep.localAddress ? { localAddress: ep.localAddress } : {}),
      ...(ep.localPort ? { localPort: ep.localPort } : {}),
      // An IP literal: no DNS, no happy-eyeballs between families.
      autoSelectFamily: false,
    });
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
export function tlsConnectTo(scope: ProbeScope, ep: Endpoint, options: TlsConnectOptions): Promise<TLSSocket> {
  scope.phase('connecting');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: ep.host,
      port: ep.port,
      ...(ep.localAddress ? { localAddress: ep.localAddress } : {}),
      ...(ep.localPort ? { localPort: ep.localPort } : {}),
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
    socket.once('connect', () => scope.phase('in TLS handshake'));
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
