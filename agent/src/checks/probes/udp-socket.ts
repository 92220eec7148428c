/**
 * A connected UDP socket for DNS_CHECK and UDP_CHECK. Connected, so the kernel reports an ICMP
 * port/host unreachable for the peer as ECONNREFUSED/EHOSTUNREACH on the socket (keepalived
 * gets the same through IP_RECVERR); closed when the probe ends. A checker's fwmark and bind_if
 * are set after bind, before connect (connect.ts).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ProbeScope } from '../probe.ts';
import { ProbeError, errorText, markUdpSocket, type Endpoint } from './connect.ts';

export function udpConnect(scope: ProbeScope, ep: Endpoint): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(ep.host.split('%')[0]!) ? 'udp6' : 'udp4' });
    let open = true;
    socket.once('close', () => (open = false));
    scope.defer(() => {
      if (open) socket.close();
    });
    socket.on('error', () => undefined);
    socket.once('error', (err: Error & { code?: string }) => reject(new ProbeError(errorText('socket', err))));
    // dgram hands a failed connect (no route: ENETUNREACH) to the callback, not to 'error'.
    const connect = () => socket.connect(ep.port, ep.host, (err?: Error & { code?: string }) => (err ? reject(new ProbeError(errorText('connect', err))) : resolve(socket)));
    const marked = () => {
      try {
        markUdpSocket(socket, ep);
      } catch (err) {
        reject(err instanceof ProbeError ? err : new ProbeError(errorText('socket', err as Error & { code?: string })));
        return;
      }
      connect();
    };
    // fwmark / bind_if need the socket's fd, which exists once it is bound.
    if (ep.localAddress || ep.localPort || ep.mark || ep.device) socket.bind({ ...(ep.localAddress ? { address: ep.localAddress } : {}), port: ep.localPort ?? 0 }, marked);
    else connect();
  });
}

/** Resolves with the next datagram, or rejects with the socket's error (e.g. "recv ECONNREFUSED"). */
export function nextDatagram(socket: UdpSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: Buffer) => {
      socket.removeListener('error', onError);
      resolve(msg);
    };
    const onError = (err: Error & { code?: string }) => {
      socket.removeListener('message', onMessage);
      reject(new ProbeError(errorText('recv', err)));
    };
    socket.once('message', onMessage);
    socket.once('error', onError);
  });
}

/** Sends one datagram; rejects with "send E..." when the kernel refuses it. */
export function sendDatagram(socket: UdpSocket, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(payload, (err) => (err ? reject(new ProbeError(errorText('send', err as Error & { code?: string }))) : resolve()));
  });
}
