/**
 * Watches frames of one ethertype on one interface (AF_PACKET, SOCK_DGRAM), event-driven.
 * Used by diagnostics and by the netns tests that prove a GARP went out on the wire.
 */
import { SOCKET_KIND, loadNative } from './native.ts';
import { ifIndex } from './interfaces.ts';

export interface CapturedFrame {
  /** Link-layer payload (the ARP message, the IPv6 packet, ...). */
  payload: Uint8Array;
  srcMac: string;
  /** How the frame was addressed: 'broadcast' | 'multicast' | 'host' | 'otherhost' | 'outgoing'. */
  pktType: string;
  ifindex: number;
}

/** Starts capturing; returns a function that stops. Needs CAP_NET_RAW. */
export function captureFrames(ifname: string, ethertype: number, cb: (frame: CapturedFrame) => void): () => void {
  const ifindex = ifIndex(ifname);
  if (ifindex === 0) throw new Error(`captureFrames: interface ${ifname} does not exist`);
  const sock = new (loadNative().Socket)(SOCKET_KIND.packet, ethertype, ifindex, null, [], 0, false);
  sock.start((err, payload, src, dst, _ttl, idx) => {
    if (err) {
      process.emitWarning(`capture on ${ifname}: ${err.message}`, { code: 'VIGIL_CAPTURE' });
      return;
    }
    cb({ payload: new Uint8Array(payload), srcMac: src, pktType: dst, ifindex: idx });
  });
  return () => sock.close();
}
