/**
 * Effective check timing of one checker: the checker's own value, else the real server's, else
 * the virtual server's, else keepalived's default (keepalived.conf(5), check_parser.c):
 *
 *   connect_timeout     5 s
 *   retry               1 (DNS_CHECK 3, MISC_CHECK 0)
 *   delay_before_retry  1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK = delay_loop)
 *   delay_loop          60 s
 *   warmup              the first check lands at a random instant within delay_loop
 *   alpha               off: a real server starts UP until a check says otherwise
 */
import type { Checker, RealServer, VirtualServer } from '#schema';

export interface CheckTiming {
  connectTimeoutMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  delayLoopMs: number;
  warmupMs: number;
  alpha: boolean;
}

type TimingSource = Partial<Record<keyof CheckTiming, number | boolean | undefined>>;

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_DELAY_LOOP_MS = 60_000;

export function effectiveCheckTiming(vs: VirtualServer, rs: RealServer, checker: Checker): CheckTiming {
  const chain: TimingSource[] = [checker as TimingSource, rs as TimingSource, vs as TimingSource];
  const pick = <K extends keyof CheckTiming>(k: K): CheckTiming[K] | undefined => {
    for (const src of chain) if (src[k] !== undefined) return src[k] as CheckTiming[K];
    return undefined;
  };
  const delayLoopMs = pick('delayLoopMs') ?? DEFAULT_DELAY_LOOP_MS;
  const defaultRetry = checker.type === 'DNS_CHECK' ? 3 : checker.type === 'MISC_CHECK' ? 0 : 1;
  const defaultBeforeRetry = checker.type === 'HTTP_GET' || checker.type === 'SSL_GET' ? 3000 : checker.type === 'DNS_CHECK' ? delayLoopMs : 1000;
  return {
    connectTimeoutMs: pick('connectTimeoutMs') ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retry: pick('retry') ?? defaultRetry,
    delayBeforeRetryMs: pick('delayBeforeRetryMs') ?? defaultBeforeRetry,
    delayLoopMs,
    warmupMs: pick('warmupMs') ?? delayLoopMs,
    alpha: pick('alpha') ?? false,
  };
}
