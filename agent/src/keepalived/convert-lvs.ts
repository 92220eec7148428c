/** keepalived LVS blocks -> cluster-spec objects: virtual_server(_group), real_server, checkers. */
import { arg, commandArg, compact, flagArg, intArg, lines, msArg, words, type ConvertContext, type SpecPath } from './convert-util.ts';
import type { ConfNode } from './parser.ts';

type Obj = Record<string, unknown>;

/** Timing keywords shared by virtual servers, real servers and checkers. */
function timing(n: ConfNode, o: Obj): boolean {
  switch (n.keyword.text) {
    case 'connect_timeout': o.connectTimeoutMs = msArg(n); return true;
    case 'delay_loop': o.delayLoopMs = msArg(n); return true;
    case 'retry': case 'nb_get_retry': o.retry = intArg(n); return true;
    case 'delay_before_retry': o.delayBeforeRetryMs = msArg(n); return true;
    case 'warmup': o.warmupMs = msArg(n); return true;
    case 'alpha': o.alpha = flagArg(n); return true;
  }
  return false;
}

function method(n: ConfNode, o: Obj): void {
  o.method = arg(n)?.toUpperCase();
  const t: Obj = {};
  for (let i = 1; i < n.args.length; i++) {
    const w = arg(n, i)!;
    if (w === 'type') t.type = arg(n, ++i);
    else if (w === 'port') t.port = intArg(n, ++i);
    else if (['nocsum', 'csum', 'remcsum'].includes(w)) t.checksum = w;
  }
  if (Object.keys(t).length) o.tunnel = t;
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
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    if (timing(n, c)) continue;
    switch (k) {
      case 'connect_ip': c.connectIp = arg(n); break;
      case 'connect_port': c.connectPort = intArg(n); break;
      case 'bindto': c.bindTo = arg(n); break;
      case 'bind_if': c.bindIf = arg(n); break;
      case 'bind_port': c.bindPort = intArg(n); break;
      case 'fwmark': c.fwmark = intArg(n); break;
      case 'log_all_failures': c.logAllFailures = flagArg(n); break;
      case 'http_protocol': c.httpProtocol = arg(n); break;
      case 'fast_recovery': c.fastRecovery = flagArg(n); break;
      case 'virtualhost': c.virtualhost = arg(n); break;
      case 'enable_sni': c.enableSni = true; break;
      case 'misc_path': c.miscPath = commandArg(n); break;
      case 'misc_timeout': c.miscTimeoutMs = msArg(n); break;
      case 'misc_dynamic': c.miscDynamic = true; break;
      case 'user': c.user = arg(n, 1) ? `${arg(n)}:${arg(n, 1)}` : arg(n); break;
      case 'helo_name': c.heloName = arg(n); break;
      case 'type': c.queryType = arg(n); break;
      case 'name': c.name = arg(n); break;
      case 'payload': c.payload = arg(n); break;
      case 'require_reply': c.requireReply = arg(n) ?? true; break;
      case 'min_reply_length': c.minReplyLength = intArg(n); break;
      case 'max_reply_length': c.maxReplyLength = intArg(n); break;
      case 'track_file': c.trackFile = arg(n); break;
      case 'dynamic': c.dynamic = true; break;
      case 'weight': c.weight = intArg(n); if (arg(n, 1) === 'reverse') c.reverse = true; break;
      case 'host':
        ctx.warn(n.keyword, 'unsupported', 'SMTP_CHECK "host" sub-blocks are not supported by Vigil yet; the check uses the real server address');
        break;
      case 'url': {
        const u: Obj = {};
        for (const l of lines(n)) {
          const uk = l.keyword.text;
          if (uk === 'path') u.path = arg(l);
          else if (uk === 'digest') u.digest = arg(l);
          else if (uk === 'status_code') u.statusCodes = statusCodes(l);
          else if (uk === 'virtualhost') u.virtualhost = arg(l);
          else if (uk === 'regex') u.regex = arg(l);
          else if (uk === 'regex_no_match') u.regexNoMatch = true;
          else if (uk === 'regex_options') u.regexOptions = l.args.map((a) => a.text);
          else if (uk === 'regex_min_offset') u.regexMinOffset = intArg(l);
          else if (uk === 'regex_max_offset') u.regexMaxOffset = intArg(l);
        }
        ctx.at([...path, 'urls', urls.length], n.keyword);
        urls.push(u);
        break;
      }
    }
  }
  if (type === 'HTTP_GET' || type === 'SSL_GET') c.urls = urls;
  return compact(c);
}

function convertRealServer(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const rs: Obj = { address: arg(node), port: intArg(node, 1) };
  ctx.at(path, node.keyword);
  const checkers: Obj[] = [];
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    if (timing(n, rs)) continue;
    switch (k) {
      case 'weight': rs.weight = intArg(n); break;
      case 'lvs_method': method(n, rs); break;
      case 'uthreshold': rs.upperThreshold = intArg(n); break;
      case 'lthreshold': rs.lowerThreshold = intArg(n); break;
      case 'inhibit_on_failure': rs.inhibitOnFailure = flagArg(n); break;
      case 'notify_up': rs.notifyUp = commandArg(n); break;
      case 'notify_down': rs.notifyDown = commandArg(n); break;
      case 'virtualhost': rs.virtualhost = arg(n); break;
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
    vs.address = a0;
    vs.port = intArg(node, 1);
  }
  ctx.at(path, node.keyword);
  const realServers: Obj[] = [];
  const flags: string[] = [];
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    if (timing(n, vs)) continue;
    switch (k) {
      case 'lvs_sched': case 'lb_algo': vs.scheduler = arg(n); break;
      case 'lvs_method': case 'lb_kind': method(n, vs); break;
      case 'protocol': vs.protocol = arg(n)?.toUpperCase(); break;
      case 'ip_family': vs.ipFamily = arg(n); break;
      case 'persistence_timeout': {
        const s = n.args.length ? intArg(n) : 360;
        if (s) vs.persistenceTimeoutMs = s * 1000;
        break;
      }
      case 'persistence_granularity': {
        const g = arg(n);
        vs.persistenceGranularity = g !== undefined && /^\d+$/.test(g) ? Number(g) : g;
        break;
      }
      case 'persistence_engine': vs.persistenceEngine = arg(n); break;
      case 'quorum': vs.quorum = intArg(n); break;
      case 'hysteresis': vs.hysteresis = intArg(n); break;
      case 'quorum_up': vs.quorumUp = commandArg(n); break;
      case 'quorum_down': vs.quorumDown = commandArg(n); break;
      case 'inhibit_on_failure': vs.inhibitOnFailure = flagArg(n); break;
      case 'omega': vs.omega = flagArg(n); break;
      case 'ha_suspend': vs.haSuspend = true; break;
      case 'virtualhost': vs.virtualhost = arg(n); break;
      case 'sorry_server': vs.sorryServer = { ...(vs.sorryServer as Obj), ...compact({ address: arg(n), port: intArg(n, 1) }) }; break;
      case 'sorry_server_inhibit': vs.sorryServer = { ...(vs.sorryServer as Obj), inhibit: flagArg(n) }; break;
      case 'sorry_server_lvs_method': vs.sorryServer = { ...(vs.sorryServer as Obj), method: arg(n)?.toUpperCase() }; break;
      case 'ops': case 'flag-1': case 'flag-2': case 'flag-3': case 'sh-port': case 'sh-fallback': case 'mh-port': case 'mh-fallback':
        flags.push(k);
        break;
      case 'real_server':
        realServers.push(convertRealServer(n, ctx, [...path, 'realServers', realServers.length]));
        break;
    }
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
