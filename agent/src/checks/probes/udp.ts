/**
 * UDP_CHECK (keepalived check_udp.c): send `payload` (default: 32 bytes of
 * "keepalived check - " repeated, keepalived's filler) on a connected socket, then
 *
 * - without `require_reply`: an ICMP unreachable before the deadline is a failure; a reply or
 *   silence until the deadline is success (so the deadline is the *normal* end of this probe);
 * - with `require_reply`: a reply must come, its length within min_reply_length..max_reply_length
 *   (default 0..255) and, with a hex pattern, its first bytes must match (X = any nibble).
 *   keepalived checks the lengths only when a pattern is given; its manual says they apply to
 *   every require_reply, which is what this does.
 */
import type { UdpCheck } from '#schema';
import { parseHex, replyMismatch, type HexPattern } from '../hex-pattern.ts';
import { fail, ok, runProbe, type Probe, type ProbeResult } from '../probe.ts';
import { endpoint } from './connect.ts';
import { nextDatagram, sendDatagram, udpConnect } from './udp-socket.ts';

const FILLER = Buffer.alloc(32, 'keepalived check - ');

export const probeUdp: Probe<UdpCheck> = (checker, target, opts) => {
  const parsed = checker.payload === undefined ? undefined : parseHex(checker.payload, false);
  const pattern = typeof checker.requireReply === 'string' ? parseHex(checker.requireReply, true) : undefined;
  if (typeof parsed === 'string') return Promise.resolve(fail(`payload: ${parsed}`));
  const payload = parsed?.bytes ?? FILLER;
  if (typeof pattern === 'string') return Promise.resolve(fail(`require_reply: ${pattern}`));
  const requireReply = checker.requireReply !== undefined;
  const timeoutMs = Math.max(1, Math.floor(opts.timeoutMs));
  // Without require_reply the deadline means "no ICMP error came": give the body the deadline
  // itself (a hair earlier than the runner's) so it can report success.
  return runProbe(opts, requireReply ? timeoutMs : timeoutMs + 50, async (scope) => {
    const socket = await udpConnect(scope, endpoint(checker, target));
    await sendDatagram(socket, payload);
    scope.phase('waiting for a reply');
    const reply = nextDatagram(socket);
    if (!requireReply) {
      const quiet = new Promise<'quiet'>((resolve) => {
        const t = setTimeout(() => resolve('quiet'), timeoutMs);
        scope.defer(() => clearTimeout(t));
      });
      await Promise.race([reply, quiet]);
      return ok();
    }
    return judge(await reply, pattern as HexPattern | undefined, checker);
  });
};

function judge(reply: Buffer, pattern: HexPattern | undefined, checker: UdpCheck): ProbeResult {
  const why = replyMismatch(reply, pattern, checker.minReplyLength, checker.maxReplyLength);
  return why ? fail(why) : ok();
}
