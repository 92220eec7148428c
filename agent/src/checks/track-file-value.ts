/**
 * FILE_CHECK: a real server enabled, disabled or re-weighted by the number in a track_file
 * (keepalived trackers/track_file.c and check/check_file.c).
 *
 * - The file holds an integer read like strtol(buf, NULL, 0): leading blanks, a sign, 0x hex or
 *   a leading-0 octal, trailing text ignored; an empty or missing file is 0.
 * - weight 0: 0 is up, anything else is down (`reverse`: non-zero is up, 0 is down).
 * - weight W: value x W (x -1 with `reverse`) is added to the real server's weight; at or below
 *   INT32_MIN (keepalived's IPVS_WEIGHT_FAULT) the checker is down.
 * The FILE_CHECK's `weight` / `reverse` default to those of the track_file.
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The file's value, or undefined when the number is out of keepalived's accepted range
 * (INT32_MIN..INT32_MAX+1; keepalived logs "Invalid number" and keeps the previous value).
 */
export function parseTrackFileValue(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(text)!;
  const digits = m[2];
  if (!digits) return 0;
  let magnitude: number;
  if (/^0[xX]/.test(digits)) magnitude = parseInt(digits.slice(2), 16);
  else if (digits.startsWith('0')) magnitude = digits.length > 1 ? parseInt(digits.slice(1), 8) : 0;
  else magnitude = Number(digits);
  const value = m[1] === '-' ? -magnitude : magnitude;
  if (!Number.isFinite(value) || value < INT32_MIN || value > INT32_MAX + 1) return undefined;
  return value;
}

export type FileCheckVerdict = { up: true; weightOffset?: number } | { up: false; reason: string };

/** What value `v` of the track_file means for the checker. */
export function fileCheckVerdict(v: number, weight: number, reverse: boolean): FileCheckVerdict {
  if (weight === 0) {
    const down = reverse ? v === 0 : v !== 0;
    return down ? { up: false, reason: `track_file value ${v}${reverse ? ' (reverse)' : ''}` } : { up: true };
  }
  const product = v * weight * (reverse ? -1 : 1);
  if (product <= INT32_MIN) return { up: false, reason: `track_file value ${v} x weight ${weight}${reverse ? ' reverse' : ''} is a fault` };
  return { up: true, weightOffset: Math.min(product, INT32_MAX) };
}
