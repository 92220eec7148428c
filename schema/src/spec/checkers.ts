/**
 * Real-server health checkers: a discriminated union on `type`, whose values are keepalived's
 * block keywords (TCP_CHECK, HTTP_GET, ...). Timing fields left unset inherit from the real
 * server, then the virtual server, then keepalived's defaults (see `effectiveCheckTiming`).
 */
import { z } from 'zod';
import {
  Command, DurationMs, InterfaceName, IpAddress, ObjectName, Port, RunAs, TrackWeight, strict,
} from './primitives.ts';

/** Timing/retry options shared by real servers, virtual servers and checkers. */
export const checkTimingFields = {
  /** `connect_timeout` (keepalived default 5 s). */
  connectTimeoutMs: DurationMs.min(1).optional(),
  /** `retry` (alias `nb_get_retry`; default 1, DNS 3, MISC 0). */
  retry: z.number().int().min(0).max(1000).optional(),
  /** `delay_before_retry` (default HTTP/SSL 3 s, DNS = delay_loop, else 1 s). */
  delayBeforeRetryMs: DurationMs.optional(),
  /** `delay_loop` interval between checks (default 60 s). */
  delayLoopMs: DurationMs.min(1).optional(),
  /** `warmup` random initial delay bound (default: up to delay_loop). */
  warmupMs: DurationMs.optional(),
  /** `alpha`: the real server starts DOWN until its first success. */
  alpha: z.boolean().optional(),
};

/** Options shared by the network checkers (all but MISC_CHECK and FILE_CHECK). */
const networkFields = {
  ...checkTimingFields,
  /** `connect_ip` (default: the real server address). */
  connectIp: IpAddress.optional(),
  /** `connect_port` (default: the real server port). */
  connectPort: Port.optional(),
  /** `bindto` source address. */
  bindTo: IpAddress.optional(),
  /** `bind_if` (needed for IPv6 link-local bindto). */
  bindIf: InterfaceName.optional(),
  /** `bind_port` */
  bindPort: Port.optional(),
  /** `fwmark` set on probe packets. */
  fwmark: z.number().int().min(1).max(0xffffffff).optional(),
  /** `log_all_failures` */
  logAllFailures: z.boolean().optional(),
};

/** One HTTP status code or an inclusive range (`status_code 200 301-302`). */
export const StatusCodeRange = z.union([
  z.number().int().min(100).max(599),
  strict({ from: z.number().int().min(100).max(599), to: z.number().int().min(100).max(599) })
    .refine((r) => r.from <= r.to, { message: '"from" must be <= "to"', params: { specCode: 'SHAPE_STATUS_RANGE' } }),
]);
export type StatusCodeRange = z.infer<typeof StatusCodeRange>;

/** `url { ... }` of HTTP_GET/SSL_GET. */
export const HttpUrl = strict({
  /** `path` (with query string). */
  path: z.string().regex(/^\/\S*$/, 'a URL path starts with "/" and has no spaces'),
  /** `digest` MD5 hex of the body (from genhash). */
  digest: z.string().regex(/^[0-9a-fA-F]{32}$/, 'an MD5 digest is 32 hex characters').optional(),
  /** `status_code` list (default 200-299). */
  statusCodes: z.array(StatusCodeRange).min(1).optional(),
  /** `virtualhost` Host header. */
  virtualhost: z.string().min(1).max(255).optional(),
  /** `regex` the body must (or with regexNoMatch must not) match (PCRE2 in keepalived; JS RegExp here). */
  regex: z.string().min(1).optional(),
  /** `regex_no_match` */
  regexNoMatch: z.boolean().optional(),
  /** `regex_options` (PCRE2 names, e.g. "caseless", "multiline"). */
  regexOptions: z.array(z.string().min(1)).optional(),
  /** `regex_min_offset` / `regex_max_offset` */
  regexMinOffset: z.number().int().min(0).optional(),
  regexMaxOffset: z.number().int().min(0).optional(),
});
export type HttpUrl = z.infer<typeof HttpUrl>;

const httpFields = {
  ...networkFields,
  /** `http_protocol 1.0|1.0C|1.1` (1.0C = 1.0 with Connection: close). */
  httpProtocol: z.enum(['1.0', '1.0C', '1.1']).optional(),
  /** `fast_recovery` */
  fastRecovery: z.boolean().optional(),
  /** `virtualhost` default for all urls. */
  virtualhost: z.string().min(1).max(255).optional(),
  /** `url {}` blocks (at least one). */
  urls: z.array(HttpUrl).min(1, 'HTTP_GET/SSL_GET needs at least one url block'),
};

export const TcpCheck = strict({ type: z.literal('TCP_CHECK'), ...networkFields });
export const HttpGetCheck = strict({ type: z.literal('HTTP_GET'), ...httpFields });
export const SslGetCheck = strict({
  type: z.literal('SSL_GET'),
  ...httpFields,
  /** `enable_sni` */
  enableSni: z.boolean().optional(),
  /** `sni_name` (default: virtualhost). */
  sniName: z.string().min(1).max(255).optional(),
  /** `tls_compliant` */
  tlsCompliant: z.boolean().optional(),
});
export const MiscCheck = strict({
  type: z.literal('MISC_CHECK'),
  ...checkTimingFields,
  /** `misc_path "cmd"` */
  miscPath: Command,
  /** `misc_timeout` */
  miscTimeoutMs: DurationMs.min(1).optional(),
  /** `misc_dynamic`: exit 0 ok, 1 fail, 2..255 ok with weight = code - 2. */
  miscDynamic: z.boolean().optional(),
  /** `user` */
  user: RunAs.optional(),
});
export const DnsCheck = strict({
  type: z.literal('DNS_CHECK'),
  ...networkFields,
  /** `type` query type (default SOA); named `queryType` because `type` is the discriminator. */
  queryType: z.enum(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA']).default('SOA'),
  /** `name` (default "."). */
  name: z.string().min(1).max(253).default('.'),
});
export const SmtpCheck = strict({
  type: z.literal('SMTP_CHECK'),
  ...networkFields,
  /** `helo_name` (default: the local host name). */
  heloName: z.string().min(1).max(255).optional(),
});
export const UdpCheck = strict({
  type: z.literal('UDP_CHECK'),
  ...networkFields,
  /** `payload HEX` */
  payload: z.string().regex(/^([0-9a-fA-F]{2})+$/, 'payload is hex bytes, e.g. "0a0b"').optional(),
  /** `require_reply [HEX]` ("XX" bytes are wildcards); true = any reply. */
  requireReply: z.union([z.literal(true), z.string().regex(/^([0-9a-fA-FxX]{2})+$/, 'hex bytes with "XX" wildcards')]).optional(),
  minReplyLength: z.number().int().min(0).max(65535).optional(),
  maxReplyLength: z.number().int().min(0).max(65535).optional(),
});
export const PingCheck = strict({ type: z.literal('PING_CHECK'), ...networkFields });
export const FileCheck = strict({
  type: z.literal('FILE_CHECK'),
  /** `track_file NAME` (a name of `trackFiles`). */
  trackFile: ObjectName,
  /** `dynamic`: the file value sets the real-server weight. */
  dynamic: z.boolean().optional(),
  /** `weight W [reverse]` */
  weight: TrackWeight.optional(),
  reverse: z.boolean().optional(),
});

/** Any real-server health checker. */
export const Checker = z.discriminatedUnion('type', [
  TcpCheck, HttpGetCheck, SslGetCheck, MiscCheck, DnsCheck, SmtpCheck, UdpCheck, PingCheck, FileCheck,
]);
export type Checker = z.infer<typeof Checker>;
export type CheckerType = Checker['type'];
export type TcpCheck = z.infer<typeof TcpCheck>;
export type HttpGetCheck = z.infer<typeof HttpGetCheck>;
export type SslGetCheck = z.infer<typeof SslGetCheck>;
export type MiscCheck = z.infer<typeof MiscCheck>;
export type DnsCheck = z.infer<typeof DnsCheck>;
export type SmtpCheck = z.infer<typeof SmtpCheck>;
export type UdpCheck = z.infer<typeof UdpCheck>;
export type PingCheck = z.infer<typeof PingCheck>;
export type FileCheck = z.infer<typeof FileCheck>;
