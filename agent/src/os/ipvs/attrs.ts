/**
 * Netlink attribute (TLV) encoding for generic netlink payloads: `struct nlattr` is
 * { u16 nla_len; u16 nla_type } in host order, the payload padded to 4 bytes (NLA_ALIGNTO);
 * nested attributes set NLA_F_NESTED (bit 15) in the type. Integers are host order (x86 and the
 * kernels we target are little-endian) except where IPVS says be16/be32 (ports, IPv4 netmask).
 */

export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

export interface Attr {
  type: number;
  data: Buffer;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  data.copy(out, 4);
  return out;
}

export function nested(type: number, children: Buffer[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

export function u8(type: number, v: number): Buffer {
  return attr(type, Buffer.from([v & 0xff]));
}

export function u16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return attr(type, b);
}

export function be16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return attr(type, b);
}

export function u32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}

export function be32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return attr(type, b);
}

/** NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept it). */
export function str(type: number, v: string): Buffer {
  return attr(type, Buffer.concat([Buffer.from(v, 'utf8'), Buffer.from([0])]));
}

/** Splits a buffer of attributes; a truncated tail is an error (the kernel never sends one). */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) throw new Error(`netlink attribute ${type} at ${off}: bad length ${len}`);
    out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export function getU8(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 1 ? b.readUInt8(0) : undefined;
}
export function getU16(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 2 ? b.readUInt16LE(0) : undefined;
}
export function getBe16(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 2 ? b.readUInt16BE(0) : undefined;
}
export function getU32(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}
export function getBe32(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 4 ? b.readUInt32BE(0) : undefined;
}
/** u64 as a number (IPVS counters stay far below 2^53 in any realistic run). */
export function getU64(m: Map<number, Buffer>, t: number): number | undefined {
  const b = m.get(t);
  return b && b.length >= 8 ? Number(b.readBigUInt64LE(0)) : undefined;
}
export function getStr(m: Map<number, Buffer>, t: number): string | undefined {
  const b = m.get(t);
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}
