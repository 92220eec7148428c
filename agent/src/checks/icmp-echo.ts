/**
 * ICMP / ICMPv6 echo messages for PING_CHECK (RFC 792, RFC 4443 §4.1/4.2): type, code,
 * checksum, identifier, sequence number, data. The IPv4 checksum is ours to compute on a raw
 * socket (a ping socket recomputes it); the ICMPv6 one always belongs to the kernel, which
 * knows the pseudo-header.
 */
import { computeChecksum } from '../vrrp/checksum.ts';

export type IcmpFamily = 4 | 6;

const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;

/** keepalived's ping data size (check_ping.c ICMP_BUFSIZE). */
export const ECHO_DATA_BYTES = 128;

export function encodeEchoRequest(family: IcmpFamily, id: number, seq: number, data: Buffer): Buffer {
  const msg = Buffer.alloc(8 + data.length);
  msg[0] = ECHO_REQUEST[family];
  msg.writeUInt16BE(id & 0xffff, 4);
  msg.writeUInt16BE(seq & 0xffff, 6);
  data.copy(msg, 8);
  if (family === 4) msg.writeUInt16BE(computeChecksum(msg), 2);
  return msg;
}

export interface EchoReply {
  id: number;
  seq: number;
  data: Buffer;
}

/** The echo reply in `msg`, or undefined for any other ICMP message. */
export function decodeEchoReply(family: IcmpFamily, msg: Buffer): EchoReply | undefined {
  if (msg.length < 8 || msg[0] !== ECHO_REPLY[family] || msg[1] !== 0) return undefined;
  return { id: msg.readUInt16BE(4), seq: msg.readUInt16BE(6), data: msg.subarray(8) };
}
