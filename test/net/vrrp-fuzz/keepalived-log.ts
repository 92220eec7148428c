/**
 * keepalived 2.2.7's verdict on one packet, read from the lines it logs (run with -D, so
 * accepted adverts at a master and priority-0 adverts at a backup are logged too). The suite
 * sends a marker after every packet (corpus.ts `marker`), so the lines between two markers
 * are that packet's. Messages are keepalived/vrrp/vrrp.c's (vrrp_check_packet and the
 * state handlers), matched loosely enough to survive its wording of addresses.
 */

/** What keepalived did with a packet: accepted, dropped (by its own reason), or said nothing. */
export type KaVerdict = { kind: 'accepted'; line: string } | { kind: 'dropped'; reason: string; line: string } | { kind: 'silent' };

export const MARKER_LINE = /wrong version\. Received 15 and expect/;

const DROPS: Array<[RegExp, string]> = [
  [/invalid TTL\/HL|TTL\/HL \d+ not in range/, 'ttl'],
  [/Expected (multi|uni)cast packet but received|discarding (multi|uni)cast packet on/, 'dst'],
  [/wrong version/, 'version'],
  [/Invalid auth type|auth, expecting|invalid passwd|AH header/, 'auth'],
  [/advertisement interval mismatch/, 'interval'],
  [/Invalid packet type/, 'type'],
  [/unexpected ip number count|expected \d+ VIPs but received/, 'addr_count'],
  [/not present in MASTER advert/, 'addr_list'],
  [/packet too (long|short)|ip_tot_len mismatch|VRRP packet (with AH )?too short/, 'length'],
  [/Invalid VRRPv[23] checksum/, 'checksum'],
  [/not a unicast peer/, 'unicast_src'],
];

const ACCEPTS = [
  /Master received priority 0 message/,
  /Backup received priority 0 advertisement/,
  /Master received advert from .* with (higher|same) priority/,
  /Received advert from .* with lower priority/,
  /received lower priority \(\d+\) advert from .* - discarding/,
  /equal priority advert received from remote host with our IP address/,
];

/** The verdict in the lines one packet produced. */
export function classify(lines: string[]): KaVerdict {
  for (const line of lines) {
    for (const [re, reason] of DROPS) if (re.test(line)) return { kind: 'dropped', reason, line };
  }
  for (const line of lines) if (ACCEPTS.some((re) => re.test(line))) return { kind: 'accepted', line };
  return { kind: 'silent' };
}

/**
 * Splits keepalived's output (from `from`, a character offset) at marker lines: returns the
 * line groups before each of the first `n` markers, or undefined while fewer have arrived.
 */
export function segments(output: string, from: number, n: number): { groups: string[][]; end: number } | undefined {
  const groups: string[][] = [];
  let current: string[] = [];
  let pos = from;
  while (groups.length < n) {
    const nl = output.indexOf('\n', pos);
    if (nl < 0) return undefined;
    const line = output.slice(pos, nl);
    pos = nl + 1;
    if (MARKER_LINE.test(line)) {
      groups.push(current);
      current = [];
    } else current.push(line);
  }
  return { groups, end: pos };
}
