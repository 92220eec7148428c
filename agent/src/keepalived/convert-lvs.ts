/**
 * keepalived LVS blocks -> cluster-spec objects: virtual_server(_group), real_server, checkers.
 *
 * What keepalived 2.2.7 does that surprises (keepalived/check/check_parser.c, check_data.c), and
 * Vigil does too (validate.ts or this file warns):
 * - `lvs_method`/`lb_kind` compare case-sensitively: `dr` is not understood and the method stays
 *   NAT; tunnel options only apply to TUN;
 * - a real or sorry server port of 0 means "no port";
 * - `nb_get_retry` only exists in HTTP_GET/SSL_GET; elsewhere it is ignored;
 * - an address virtual server without `protocol` is UDP ("no protocol set - defaulting to UDP");
 * - the first `notify_up`, `notify_down`, `quorum_up`, `quorum_down` of a block wins.
 */
import { addressArg, arg, commandArg, compact, flagArg, intArg, keywordLines, lines, msArg, portArg, put, words, type ConvertContext, type SpecPath } from './convert-util.ts';
import type { ConfNode } from './tree.ts';

type Obj = Record<string, unknown>;

/** Timing keywords shared by virtual servers, real servers and checkers. */
function timing(n: ConfNode, o: Obj, ctx: ConvertContext, path: SpecPath, checker?: string): boolean {
  switch (n.keyword.text) {
    case 'connect_timeout': put(ctx, path, o, 'connectTimeoutMs', n, msArg(n)); return true;
    case 'delay_loop': put(ctx, path, o, 'delayLoopMs', n, msArg(n)); return true;
    case 'retry': put(ctx, path, o, 'retry', n, intArg(n)); return true;
    case 'nb_get_retry':
      // Only HTTP_GET/SSL_GET know it; elsewhere keepalived skips it (validate.ts warned).
      if (checker === 'HTTP_GET' || checker === 'SSL_GET') put(ctx, path, o, 'retry', n, intArg(n));
      return true;
    case 'delay_before_retry': put(ctx, path, o, 'delayBeforeRetryMs', n, msArg(n)); return true;
    case 'warmup': put(ctx, path, o, 'warmupMs', n, msArg(n)); return true;
    case 'alpha': put(ctx, path, o, 'alpha', n, flagArg(n)); return true;
  }
  return false;
}

const METHODS = new Set(['NAT', 'DR', 'TUN']);

/** `lvs_method METHOD [type T] [port N] [csum]`, as keepalived reads it (validate.ts checked the words). */
function method(n: ConfNode, o: Obj, ctx: ConvertContext, path: SpecPath, tunnel = true): void {
  const m = arg(n);
  // keepalived compares case-sensitively and keeps the default (NAT) for anything else.
  if (m === undefined || !METHODS.has(m)) return;
  put(ctx, path, o, 'method', n, m);
  if (m !== 'TUN' || !tunnel) return;
  const t: Obj = {};
  for (let i = 1; i < n.args.length; i++) {
    const w = arg(n, i)!;
    if (w === 'type') t.type = arg(n, ++i);
    else if (w === 'port') t.port = intArg(n, ++i);
    else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') t.checksum = w;
    else return; // "Invalid tunnel option": keepalived keeps TUN without the options (validate.ts reported it)
  }
  const type = (t.type as string | undefined) ?? 'ipip';
  const csum = (t.checksum as string | undefined) ?? 'nocsum';
  // The combinations keepalived refuses leave its tunnel defaults in place (validate.ts reported them).
  if (!['ipip', 'gue', 'gre'].includes(type) || (type === 'gue') !== (t.port !== undefined) || (type === 'ipip' && csum !== 'nocsum') || (type === 'gre' && csum === 'remcsum')) return;
  if (Object.keys(t).length) put(ctx, path, o, 'tunnel', n, t);
}

function statusCodes(n: ConfNode): unknown[] {
  return n.args.flatMap((a) => a.text.split(',')).filter(Boolean).map((s) => {
    const [from, to] = s.split('-');
    return to === undefined ? Number(from) : { from: Number(from), to: Number(to) };
  });
}

function convertChecker(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj | undefined {
  const type = node.keyword.text;
  const c: Obj = { type };
  ctx.at(path, node.keyword);
  const urls: Obj[] = [];
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, c, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    if (timing(n, c, ctx, path, type)) continue;
    switch (k) {
      case 'connect_ip': set('connectIp', addressArg(n)); break;
      case 'connect_port': set('connectPort', intArg(n)); break;
      case 'bindto': set('bindTo', addressArg(n)); break;
      case 'bind_if': set('bindIf', arg(n)); break;
      case 'bind_port': set('bindPort', intArg(n)); break;
      case 'fwmark': set('fwmark', intArg(n)); break;
      case 'log_all_failures': set('logAllFailures', flagArg(n)); break;
      case 'http_protocol': set('httpProtocol', arg(n)); break;
      case 'fast_recovery': set('fastRecovery', flagArg(n)); break;
      case 'virtualhost': set('virtualhost', arg(n)); break;
      case 'enable_sni': set('enableSni', true); break;
      case 'misc_path': set('miscPath', commandArg(n)); break;
      case 'misc_timeout': set('miscTimeoutMs', msArg(n)); break;
      case 'misc_dynamic': set('miscDynamic', true); break;
      case 'user': set('user', arg(n, 1) ? `${arg(n)}:${arg(n, 1)}` : arg(n)); break;
      case 'helo_name': set('heloName', arg(n)); break;
      case 'type': set('queryType', arg(n)); break;
      case 'name': set('name', arg(n)); break;
      case 'payload': set('payload', arg(n)); break;
      case 'require_reply': set('requireReply', arg(n) ?? true); break;
      case 'min_reply_length': set('minReplyLength', intArg(n)); break;
      case 'max_reply_length': set('maxReplyLength', intArg(n)); break;
      case 'track_file': set('trackFile', arg(n)); break;
      case 'dynamic': set('dynamic', true); break;
      case 'weight':
        set('weight', intArg(n));
        if (arg(n, 1) === 'reverse') set('reverse', true);
        break;
      case 'host':
        ctx.warn(n.keyword, 'unsupported', 'SMTP_CHECK "host" sub-blocks are not supported by Vigil yet; the check uses the real server address');
        break;
      case 'url': {
        const u: Obj = {};
        const upath = [...path, 'urls', urls.length];
        ctx.at(upath, n.keyword);
        for (const l of keywordLines(n)) {
          const uk = l.keyword.text;
          const uset = (key: string, v: unknown) => put(ctx, upath, u, key, l, v);
          if (uk === 'path') uset('path', arg(l));
          else if (uk === 'digest') uset('digest', arg(l));
          else if (uk === 'status_code') uset('statusCodes', statusCodes(l));
          else if (uk === 'virtualhost') uset('virtualhost', arg(l));
          else if (uk === 'regex') uset('regex', arg(l));
          else if (uk === 'regex_no_match') uset('regexNoMatch', true);
          else if (uk === 'regex_options') uset('regexOptions', l.args.map((a) => a.text));
          else if (uk === 'regex_min_offset') uset('regexMinOffset', intArg(l));
          else if (uk === 'regex_max_offset') uset('regexMaxOffset', intArg(l));
        }
        urls.push(u);
        break;
      }
    }
  }
  if (type === 'HTTP_GET' || type === 'SSL_GET') c.urls = urls;
  return compact(c);
}

function convertRealServer(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const rs: Obj = { address: addressArg(node), port: portArg(node, 1) };
  ctx.at(path, node.keyword);
  ctx.at([...path, 'address'], node.keyword);
  ctx.at([...path, 'port'], node.keyword);
  const checkers: Obj[] = [];
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, rs, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    if (timing(n, rs, ctx, path)) continue;
    switch (k) {
      case 'weight': set('weight', intArg(n)); break;
      case 'lvs_method': method(n, rs, ctx, path); break;
      case 'uthreshold': set('upperThreshold', intArg(n)); break;
      case 'lthreshold': set('lowerThreshold', intArg(n)); break;
      case 'inhibit_on_failure': set('inhibitOnFailure', flagArg(n)); break;
      case 'notify_up': set('notifyUp', commandArg(n)); break;
      case 'notify_down': set('notifyDown', commandArg(n)); break;
      case 'virtualhost': set('virtualhost', arg(n)); break;
      case 'TCP_CHECK': case 'HTTP_GET': case 'SSL_GET': case 'MISC_CHECK': case 'SMTP_CHECK':
      case 'DNS_CHECK': case 'UDP_CHECK': case 'PING_CHECK': case 'FILE_CHECK': {
        const c = convertChecker(n, ctx, [...path, 'checkers', checkers.length]);
        if (c) checkers.push(c);
        break;
      }
    }
  }
  rs.checkers = checkers;
  return compact(rs);
}

export function convertVirtualServer(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const vs: Obj = {};
  const [a0, a1] = [arg(node), arg(node, 1)];
  if (a0 === 'fwmark') vs.fwmark = intArg(node, 1);
  else if (a0 === 'group') vs.group = a1;
  else {
    vs.address = addressArg(node);
    vs.port = intArg(node, 1);
  }
  ctx.at(path, node.keyword);
  for (const key of ['address', 'port', 'fwmark', 'group']) ctx.at([...path, key], node.keyword);
  const realServers: Obj[] = [];
  const flags: string[] = [];
  let sorry: Obj | undefined;
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, vs, key, n, v);
  const sorryPath = [...path, 'sorryServer'];
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    if (timing(n, vs, ctx, path)) continue;
    switch (k) {
      case 'lvs_sched': case 'lb_algo': set('scheduler', arg(n)); break;
      case 'lvs_method': case 'lb_kind': method(n, vs, ctx, path); break;
      case 'protocol': set('protocol', arg(n)?.toUpperCase()); break;
      case 'ip_family': set('ipFamily', arg(n)); break;
      case 'persistence_timeout': {
        const s = n.args.length ? intArg(n) : 360;
        if (s) set('persistenceTimeoutMs', s * 1000);
        break;
      }
      case 'persistence_granularity': {
        const g = arg(n);
        set('persistenceGranularity', g !== undefined && /^\d+$/.test(g) ? Number(g) : g);
        break;
      }
      case 'persistence_engine': set('persistenceEngine', arg(n)); break;
      case 'quorum': set('quorum', intArg(n)); break;
      case 'hysteresis': set('hysteresis', intArg(n)); break;
      case 'quorum_up': set('quorumUp', commandArg(n)); break;
      case 'quorum_down': set('quorumDown', commandArg(n)); break;
      case 'inhibit_on_failure': set('inhibitOnFailure', flagArg(n)); break;
      case 'omega': set('omega', flagArg(n)); break;
      case 'ha_suspend': set('haSuspend', true); break;
      case 'virtualhost': set('virtualhost', arg(n)); break;
      case 'sorry_server':
        sorry = { ...sorry, ...compact({ address: addressArg(n), port: portArg(n, 1) }) };
        ctx.at(sorryPath, n.keyword);
        for (const key of ['address', 'port']) ctx.at([...sorryPath, key], n.keyword);
        break;
      case 'sorry_server_inhibit':
        // keepalived: "Ignoring sorry_server inhibit used before or without sorry_server".
        if (sorry) put(ctx, sorryPath, sorry, 'inhibit', n, flagArg(n));
        else ctx.warn(n.keyword, 'keepalived-differs', 'sorry_server_inhibit before (or without) sorry_server: keepalived ignores it, and so does Vigil', 'put it after the sorry_server line');
        break;
      case 'sorry_server_lvs_method':
        if (sorry) method(n, sorry, ctx, sorryPath, false);
        else ctx.warn(n.keyword, 'keepalived-differs', 'sorry_server_lvs_method before (or without) sorry_server: keepalived ignores it, and so does Vigil', 'put it after the sorry_server line');
        break;
      case 'ops': case 'flag-1': case 'flag-2': case 'flag-3': case 'sh-port': case 'sh-fallback': case 'mh-port': case 'mh-fallback':
        flags.push(k);
        ctx.at([...path, 'schedulerFlags'], n.keyword);
        break;
      case 'real_server':
        realServers.push(convertRealServer(n, ctx, [...path, 'realServers', realServers.length]));
        break;
    }
  }
  if (sorry) vs.sorryServer = sorry;
  if (vs.fwmark !== undefined && vs.protocol !== undefined) {
    // keepalived: "protocol specified for fwmark - protocol will be ignored"; IPVS has none for a mark.
    ctx.warn(ctx.locate([...path, 'protocol']), 'keepalived-differs', `"protocol" means nothing for a firewall-mark service: keepalived ignores it, and so does Vigil`, 'delete the protocol line');
  }
  if (vs.address !== undefined && vs.protocol === undefined) {
    // keepalived 2.2.7 check_data.c: "no protocol set - defaulting to UDP" (IPVS's own default is UDP too).
    vs.protocol = 'UDP';
    ctx.warn(node.keyword, 'keepalived-differs', `virtual_server ${[a0, a1].filter(Boolean).join(' ')} has no "protocol": keepalived uses UDP (and says so), and so does Vigil`, 'add "protocol TCP" for a TCP service');
  }
  if (flags.length) vs.schedulerFlags = flags;
  vs.realServers = realServers;
  return compact(vs);
}

export function convertVirtualServerGroup(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  ctx.at(path, node.keyword);
  const members = lines(node).map((n, i) => {
    ctx.at([...path, 'members', i], n.keyword);
    const w = words(n);
    if (w[0] === 'fwmark') return compact({ fwmark: Number(w[1]), family: w[2] });
    return compact({ address: w[0], port: w[1] !== undefined ? Number(w[1]) : undefined });
  });
  return { members };
}
