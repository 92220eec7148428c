/**
 * UDP_CHECK's hex strings: `payload` (bytes) and `require_reply` (bytes whose hex digits may
 * be "x"/"X" wildcards, per nibble, as keepalived's read_hex_str). Spaces and tabs between digits
 * are allowed as in keepalived; a lone digit before a space is one byte ("3 456" = 03 45 06).
 */

export interface HexPattern {
  bytes: Buffer;
  /** Bits that must match (0x00 for "XX", 0xf0 for "4X", 0xff for "45"). */
  care: Buffer;
}

/** Parses a hex string (wildcards only when `allowWildcards`); an error string when invalid. */
export function parseHex(text: string, allowWildcards: boolean): HexPattern | string {
  const bytes: number[] = [];
  const care: number[] = [];
  const nibble = (ch: string): { value: number; care: number } | undefined => {
    if (/^[0-9a-f]$/i.test(ch)) return { value: parseInt(ch, 16), care: 0xf };
    if (allowWildcards && (ch === 'x' || ch === 'X')) return { value: 0, care: 0 };
    return undefined;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const hi = nibble(ch);
    if (!hi) return `invalid hex character "${ch}" at ${i + 1} in "${text}"`;
    i++;
    const next = text[i];
    if (next !== undefined && next !== ' ' && next !== '\t') {
      const lo = nibble(next);
      if (!lo) return `invalid hex character "${next}" at ${i + 1} in "${text}"`;
      i++;
      bytes.push((hi.value << 4) | lo.value);
      care.push((hi.care << 4) | lo.care);
    } else {
      bytes.push(hi.value);
      care.push(hi.care);
    }
  }
  if (bytes.length === 0) return `empty hex string "${text}"`;
  return { bytes: Buffer.from(bytes), care: Buffer.from(care) };
}

/** keepalived's defaults: min_reply_length 0, max_reply_length 255 (check_udp.c). */
export const DEFAULT_MIN_REPLY = 0;
export const DEFAULT_MAX_REPLY = 255;

/**
 * Why `reply` does not satisfy require_reply, or undefined when it does. As keepalived's
 * check_udp_reply: the length must be within [min, max]; then only the first
 * min(reply length, pattern length) bytes are compared.
 */
export function replyMismatch(reply: Buffer, pattern: HexPattern | undefined, min = DEFAULT_MIN_REPLY, max = DEFAULT_MAX_REPLY): string | undefined {
  if (reply.length < min) return `reply ${reply.length} bytes < min_reply_length ${min}`;
  if (reply.length > max) return `reply ${reply.length} bytes > max_reply_length ${max}`;
  if (!pattern) return undefined;
  const n = Math.min(reply.length, pattern.bytes.length);
  for (let i = 0; i < n; i++) {
    if (((reply[i]! ^ pattern.bytes[i]!) & pattern.care[i]!) !== 0) {
      return `reply byte ${i} is ${hexByte(reply[i]!)}, expected ${patternByte(pattern, i)}`;
    }
  }
  return undefined;
}

const hexByte = (b: number) => b.toString(16).padStart(2, '0');

function patternByte(p: HexPattern, i: number): string {
  const b = hexByte(p.bytes[i]!);
  const c = p.care[i]!;
  return `${c & 0xf0 ? b[0] : 'X'}${c & 0x0f ? b[1] : 'X'}`;
}
