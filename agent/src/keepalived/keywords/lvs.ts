/**
 * LVS blocks (keepalived 2.2.7 keepalived/check/check_parser.c and check_*.c): virtual_server,
 * real_server, the checkers, url, SMTP host.
 */
import { command, firstCommand, flag, int, ip, one, oneOf, secs, U, unsupportedFree, word, type BlockSpec, type KeywordSpec } from './types.ts';

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'];

/**
 * `lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`: the words after the
 * method are checked by validate.ts (`checkLvsMethod`) with keepalived's rules
 * (check_parser.c `svr_forwarding_handler`), the method name case-sensitively as keepalived does.
 */
const lvsMethod: KeywordSpec = { args: [word], rest: 'free' };

const checkTiming: Record<string, KeywordSpec> = {
  connect_timeout: one(secs(0)),
  delay_loop: one(secs(0)),
  retry: one(int(0)),
  delay_before_retry: one(secs(0)),
  warmup: one(secs(0)),
};

export const virtualServer: BlockSpec = {
  name: 'virtual_server',
  keywords: {
    ...checkTiming,
    lvs_sched: one(oneOf(...SCHEDULERS)),
    lb_algo: one(oneOf(...SCHEDULERS), { aliasOf: 'lvs_sched', aliasSeverity: 'info' }),
    lvs_method: lvsMethod,
    lb_kind: { ...lvsMethod, aliasOf: 'lvs_method', aliasSeverity: 'info' },
    protocol: one({ type: 'enum', values: ['TCP', 'UDP', 'SCTP'], caseInsensitive: true }),
    ip_family: one(oneOf('inet', 'inet6')),
    persistence_timeout: { optional: [int(0, 2678400)] },
    persistence_granularity: one(word),
    persistence_engine: one(word),
    quorum: one(int(1)),
    hysteresis: one(int(0)),
    quorum_up: firstCommand,
    quorum_down: firstCommand,
    inhibit_on_failure: { optional: [{ type: 'bool' }] },
    alpha: { optional: [{ type: 'bool' }] },
    omega: { optional: [{ type: 'bool' }] },
    ha_suspend: flag,
    virtualhost: one(word),
    sorry_server: { args: [ip], optional: [int(0, 65535)] },
    sorry_server_inhibit: { optional: [{ type: 'bool' }] },
    sorry_server_lvs_method: lvsMethod,
    real_server: { args: [ip], optional: [int(0, 65535)], block: 'real_server' },
    ops: flag,
    'flag-1': flag,
    'flag-2': flag,
    'flag-3': flag,
    'sh-port': flag,
    'sh-fallback': flag,
    'mh-port': flag,
    'mh-fallback': flag,
    hashed: { ...flag, ...U },
    smtp_alert: unsupportedFree,
    snmp_name: unsupportedFree,
    weight: { ...one(int(1)), unsupported: 'a virtual server weight is only used by keepalived\'s SNMP/virtual_server_group code' },
    nat_mask: { rest: 'free', removed: 'nat_mask was a keepalived 1.x keyword; keepalived 2.x rejects it: delete the line' },
  },
};

const checkers: Record<string, KeywordSpec> = {
  TCP_CHECK: { block: 'TCP_CHECK' },
  HTTP_GET: { block: 'HTTP_GET' },
  SSL_GET: { block: 'HTTP_GET' },
  MISC_CHECK: { block: 'MISC_CHECK' },
  SMTP_CHECK: { block: 'SMTP_CHECK' },
  DNS_CHECK: { block: 'DNS_CHECK' },
  UDP_CHECK: { block: 'UDP_CHECK' },
  PING_CHECK: { block: 'PING_CHECK' },
  FILE_CHECK: { block: 'FILE_CHECK' },
  BFD_CHECK: { block: 'free', unsupported: true },
};

export const realServer: BlockSpec = {
  name: 'real_server',
  keywords: {
    ...checkTiming,
    ...checkers,
    weight: one(int(0, 2147483647)),
    lvs_method: lvsMethod,
    uthreshold: one(int(0)),
    lthreshold: one(int(0)),
    inhibit_on_failure: { optional: [{ type: 'bool' }] },
    notify_up: firstCommand,
    notify_down: firstCommand,
    alpha: { optional: [{ type: 'bool' }] },
    virtualhost: one(word),
    smtp_alert: unsupportedFree,
    snmp_name: unsupportedFree,
  },
};

/** Keywords every checker accepts (check_api.c `install_checker_common_keywords`). */
const common: Record<string, KeywordSpec> = {
  ...checkTiming,
  connect_ip: one(ip),
  connect_port: one(int(1, 65535)),
  bindto: one(ip),
  bind_port: one(int(1, 65535)),
  bind_if: one(word),
  fwmark: one(int(0)),
  alpha: { optional: [{ type: 'bool' }] },
  log_all_failures: { optional: [{ type: 'bool' }] },
  // keepalived 2.2.7 knows this old name only in HTTP_GET/SSL_GET (below). Elsewhere it is an
  // unknown keyword that keepalived skips, leaving retry at its default: Vigil does the same and
  // says so, since configs in the wild put it in every checker.
  nb_get_retry: {
    args: [int(0)],
    ignored: { because: 'keepalived 2.2.7 knows it only in HTTP_GET and SSL_GET; here retry keeps its default', hint: 'write "retry"' },
  },
};

export const checkerBlocks: Record<string, BlockSpec> = {
  TCP_CHECK: { name: 'TCP_CHECK', keywords: { ...common } },
  HTTP_GET: {
    name: 'HTTP_GET',
    keywords: {
      ...common,
      nb_get_retry: one(int(0), { aliasOf: 'retry', aliasSeverity: 'warning' }),
      url: { block: 'url' },
      virtualhost: one(word),
      http_protocol: one(oneOf('1.0', '1.0C', '1.1')),
      enable_sni: flag,
      fast_recovery: { optional: [{ type: 'bool' }] },
    },
  },
  url: {
    name: 'url',
    keywords: {
      path: one(word),
      digest: one(word),
      status_code: { args: [word], rest: 'free' },
      virtualhost: one(word),
      regex: { args: [word], rest: 'free' },
      regex_no_match: flag,
      regex_options: { rest: 'free' },
      regex_min_offset: one(int(0)),
      regex_max_offset: one(int(0)),
      regex_stack: one(int(0)),
    },
  },
  MISC_CHECK: {
    name: 'MISC_CHECK',
    keywords: {
      ...common,
      misc_path: command,
      misc_timeout: one(secs(0)),
      misc_dynamic: flag,
      user: { args: [word], optional: [word] },
    },
  },
  SMTP_CHECK: { name: 'SMTP_CHECK', keywords: { ...common, helo_name: one(word), host: { block: 'host' } } },
  host: { name: 'host', keywords: { ...common } },
  DNS_CHECK: { name: 'DNS_CHECK', keywords: { ...common, type: one(oneOf('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA')), name: one(word, { firstWins: true }) } },
  UDP_CHECK: {
    name: 'UDP_CHECK',
    keywords: { ...common, payload: one(word), require_reply: { optional: [word] }, min_reply_length: one(int(0)), max_reply_length: one(int(0)) },
  },
  PING_CHECK: { name: 'PING_CHECK', keywords: { ...common } },
  FILE_CHECK: {
    name: 'FILE_CHECK',
    keywords: { track_file: one(word), weight: { args: [int(-254, 254)], optional: [oneOf('reverse', 'noreverse')] }, dynamic: flag },
  },
};

export const virtualServerGroup: BlockSpec = { name: 'virtual_server_group', list: 'free' };
