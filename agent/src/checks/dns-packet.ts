/**
 * The DNS_CHECK query and the reading of its reply (RFC 1035 §4.1), with keepalived's
 * check_dns.c semantics: one question, class IN, RD set, a random id; a reply counts only when
 * it is long enough, carries the same id and has QR set (anything else is ignored and the probe
 * keeps waiting); then RCODE 0 is success and any other RCODE a failure.
 */

/** Query types DNS_CHECK accepts (the spec's `queryType`). */
export const DNS_QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type DnsQueryType = keyof typeof DNS_QTYPE;

/** RCODE names (RFC 1035 §4.1.1, RFC 2136 §2.2). */
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? `RCODE${rcode}`;

const HEADER_LENGTH = 12;

/**
 * The wire form of `name` ("." is the root; a trailing dot is allowed), or an error string.
 * Empty labels ("a..b"), labels over 63 bytes and names over 255 bytes are refused: keepalived
 * would send them malformed.
 */
export function encodeName(name: string): Buffer | string {
  if (name === '.') return Buffer.from([0]);
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0) return `DNS name "${name}" has an empty label`;
    if (bytes.length > 63) return `DNS name "${name}" has a label longer than 63 bytes`;
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  return wire.length > 255 ? `DNS name "${name}" is longer than 255 bytes` : wire;
}

/** A standard query: id, flags RD, QDCOUNT 1, the question (name, type, class IN). */
export function encodeQuery(id: number, name: string, type: DnsQueryType): Buffer | string {
  const qname = encodeName(name);
  if (typeof qname === 'string') return qname;
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD: recursion desired, as keepalived sets it
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_QTYPE[type], 0);
  tail.writeUInt16BE(1, 2); // class IN
  return Buffer.concat([header, qname, tail]);
}

export interface DnsReplyHeader {
  id: number;
  qr: boolean;
  rcode: number;
}

/** The reply header, or undefined for a datagram shorter than a header. */
export function decodeHeader(msg: Buffer): DnsReplyHeader | undefined {
  if (msg.length < HEADER_LENGTH) return undefined;
  const flags = msg.readUInt16BE(2);
  return { id: msg.readUInt16BE(0), qr: (flags & 0x8000) !== 0, rcode: flags & 0x000f };
}

/** What one received datagram means to the probe. */
export type DnsVerdict = { kind: 'ignore'; why: string } | { kind: 'ok' } | { kind: 'fail'; reason: string };

export function judgeReply(msg: Buffer, queryId: number): DnsVerdict {
  const h = decodeHeader(msg);
  if (!h) return { kind: 'ignore', why: `short datagram (${msg.length} bytes)` };
  if (h.id !== (queryId & 0xffff)) return { kind: 'ignore', why: `id ${h.id} is not ${queryId & 0xffff}` };
  if (!h.qr) return { kind: 'ignore', why: 'a query, not a response' };
  if (h.rcode !== 0) return { kind: 'fail', reason: `rcode ${rcodeName(h.rcode)}` };
  return { kind: 'ok' };
}
