/**
 * keepalived VRRP blocks -> cluster-spec objects: global_defs, vrrp_script, vrrp_instance,
 * vrrp_sync_group, track_file, vrrp_track_process. Unknown/unsupported keywords were already
 * reported by validate.ts and are skipped here.
 */
import { isPrefix } from './validate.ts';
import { arg, commandArg, commandUser, compact, flagArg, intArg, lines, msArg, words, type ConvertContext, type SpecPath } from './convert-util.ts';
import type { ConfNode } from './parser.ts';

type Obj = Record<string, unknown>;

export function convertGlobal(node: ConfNode, global: Obj, director: Obj, ctx: ConvertContext): void {
  const garp = (global.garp ??= {}) as Obj;
  const garpKeys: Record<string, [string, 'ms' | 'int' | 'flag']> = {
    vrrp_garp_master_delay: ['masterDelayMs', 'ms'],
    vrrp_garp_master_repeat: ['masterRepeat', 'int'],
    vrrp_garp_master_refresh: ['masterRefreshMs', 'ms'],
    vrrp_garp_master_refresh_repeat: ['masterRefreshRepeat', 'int'],
    vrrp_garp_lower_prio_delay: ['lowerPrioDelayMs', 'ms'],
    vrrp_garp_lower_prio_repeat: ['lowerPrioRepeat', 'int'],
    vrrp_garp_interval: ['intervalMs', 'ms'],
    vrrp_gna_interval: ['gnaIntervalMs', 'ms'],
    vrrp_min_garp: ['minGarp', 'flag'],
  };
  for (const n of lines(node)) {
    const k = n.keyword.text;
    const path: SpecPath = ['global'];
    const set = (key: string, v: unknown) => {
      if (v === undefined) return;
      global[key] = v;
      ctx.at([...path, key], n.keyword);
    };
    const g = garpKeys[k];
    if (g) {
      garp[g[0]] = g[1] === 'ms' ? msArg(n) : g[1] === 'int' ? intArg(n) : flagArg(n);
      ctx.at(['global', 'garp', g[0]], n.keyword);
      continue;
    }
    switch (k) {
      case 'router_id':
        director.routerId = arg(n);
        ctx.at(['directors'], n.keyword);
        break;
      case 'vrrp_version': set('vrrpVersion', intArg(n)); break;
      case 'vrrp_mcast_group4': set('vrrpMcastGroup4', arg(n)); break;
      case 'vrrp_mcast_group6': set('vrrpMcastGroup6', arg(n)); break;
      case 'default_interface': set('defaultInterface', arg(n)); break;
      case 'vrrp_strict': set('vrrpStrict', true); break;
      case 'vrrp_skip_check_adv_addr': set('vrrpSkipCheckAdvAddr', flagArg(n)); break;
      case 'vrrp_check_unicast_src': set('vrrpCheckUnicastSrc', true); break;
      case 'v3_checksum_as_v2': set('v3ChecksumAsV2', flagArg(n)); break;
      case 'vrrp_lower_prio_no_advert': set('lowerPrioNoAdvert', flagArg(n)); break;
      case 'vrrp_higher_prio_send_advert': set('higherPrioSendAdvert', flagArg(n)); break;
      case 'vrrp_down_timer_adverts': set('downTimerAdverts', intArg(n)); break;
      case 'vrrp_startup_delay': set('startupDelayMs', msArg(n)); break;
      case 'dynamic_interfaces': set('dynamicInterfaces', arg(n) === 'allow_if_changes' ? 'allow_if_changes' : true); break;
      case 'script_user': set('scriptUser', arg(n, 1) ? `${arg(n)}:${arg(n, 1)}` : arg(n)); break;
      case 'enable_script_security': set('enableScriptSecurity', true); break;
      case 'startup_script': set('startupScript', commandArg(n)); break;
      case 'shutdown_script': set('shutdownScript', commandArg(n)); break;
      case 'lvs_flush': set('lvsFlush', true); break;
      case 'lvs_flush_on_stop':
      case 'lvs_flush_onstop': set('lvsFlushOnStop', true); break;
      case 'notify_fifo': set('notifyFifo', arg(n)); break;
      case 'notify_fifo_script': set('notifyFifoScript', commandArg(n)); break;
      case 'vrrp_notify_fifo': set('vrrpNotifyFifo', arg(n)); break;
      case 'vrrp_notify_fifo_script': set('vrrpNotifyFifoScript', commandArg(n)); break;
      case 'lvs_notify_fifo': set('lvsNotifyFifo', arg(n)); break;
      case 'lvs_notify_fifo_script': set('lvsNotifyFifoScript', commandArg(n)); break;
      case 'lvs_timeouts': {
        const t: Obj = {};
        const names: Record<string, string> = { tcp: 'tcpMs', tcpfin: 'tcpFinMs', udp: 'udpMs' };
        for (let i = 0; i + 1 < n.args.length; i += 2) {
          const key = names[arg(n, i)!];
          if (key) t[key] = msArg(n, i + 1);
        }
        set('lvsTimeouts', compact(t));
        break;
      }
      case 'lvs_sync_daemon': {
        const d: Obj = { interface: arg(n) };
        const names: Record<string, [string, boolean]> = { inst: ['instance', false], id: ['syncId', true], maxlen: ['maxlen', true], port: ['port', true], ttl: ['ttl', true], group: ['group', false] };
        for (let i = 1; i + 1 < n.args.length; i += 2) {
          const key = names[arg(n, i)!];
          if (key) d[key[0]] = key[1] ? intArg(n, i + 1) : arg(n, i + 1);
        }
        set('lvsSyncDaemon', compact(d));
        break;
      }
    }
  }
}

export function convertScript(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const s: Obj = {};
  ctx.at(path, node.keyword);
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    if (k === 'script') s.script = commandArg(n);
    else if (k === 'interval') s.intervalMs = msArg(n);
    else if (k === 'timeout') s.timeoutMs = msArg(n);
    else if (k === 'weight') {
      s.weight = intArg(n);
      if (arg(n, 1) === 'reverse') s.reverse = true;
    } else if (k === 'rise') s.rise = intArg(n);
    else if (k === 'fall') s.fall = intArg(n);
    else if (k === 'user') s.user = arg(n, 1) ? `${arg(n)}:${arg(n, 1)}` : arg(n);
    else if (k === 'init_fail') s.initFail = true;
  }
  if (s.script === undefined) ctx.error(node.keyword, 'missing-keyword', `vrrp_script "${arg(node)}" has no "script" line`, 'add: script "/path/to/check args"');
  return compact(s);
}

export function convertTrackFile(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const f: Obj = {};
  ctx.at(path, node.keyword);
  for (const n of lines(node)) {
    if (n.keyword.text === 'file') f.file = arg(n);
    else if (n.keyword.text === 'weight') {
      f.weight = intArg(n);
      if (arg(n, 1) === 'reverse') f.reverse = true;
    } else if (n.keyword.text === 'init_file') f.initFile = compact({ value: intArg(n), overwrite: n.args.some((a) => a.text === 'overwrite') || undefined });
  }
  return compact(f);
}

export function convertTrackProcess(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const p: Obj = {};
  ctx.at(path, node.keyword);
  for (const n of lines(node)) {
    const k = n.keyword.text;
    if (k === 'process') p.process = commandArg(n);
    else if (k === 'param_match') p.paramMatch = arg(n);
    else if (k === 'weight') {
      p.weight = intArg(n);
      if (arg(n, 1) === 'reverse') p.reverse = true;
    } else if (k === 'quorum') p.quorum = intArg(n);
    else if (k === 'quorum_max') p.quorumMax = intArg(n);
    else if (k === 'delay') p.delayMs = msArg(n);
    else if (k === 'fork_delay') p.forkDelayMs = msArg(n);
    else if (k === 'terminate_delay') p.terminateDelayMs = msArg(n);
    else if (k === 'full_command') p.fullCommand = true;
  }
  return compact(p);
}

function tracked(n: ConfNode, nameKey: 'name' | 'interface'): Obj {
  const w = words(n);
  const o: Obj = { [nameKey]: w[0] };
  if (w[1] === 'weight' && w[2] !== undefined && /^[-+]?\d+$/.test(w[2])) o.weight = Number(w[2]);
  if (w[3] === 'reverse') o.reverse = true;
  return o;
}

export function convertAddress(n: ConfNode): Obj | undefined {
  const w = words(n);
  if (!isPrefix(w[0]!)) return undefined;
  const a: Obj = { address: w[0] };
  for (let i = 1; i < w.length; i++) {
    const t = w[i]!;
    const v = w[i + 1];
    if (t === 'dev') {
      a.dev = v;
      i++;
    } else if (t === 'brd' || t === 'broadcast') {
      a.brd = v;
      i++;
    }
    else if (t === 'scope') {
      a.scope = v;
      i++;
    }
    else if (t === 'label') {
      a.label = v;
      i++;
    }
    else if (t === 'peer') {
      a.peer = v;
      i++;
    }
    else if (t === 'preferred_lft') {
      a.preferredLft = v === 'forever' ? 'forever' : Number(v);
      i++;
    }
    else if (t === 'noprefixroute') a.noPrefixRoute = true;
    else if (t === '-nodad' || t === 'nodad') a.noDad = true;
    else if (t === 'home') a.home = true;
    else if (t === 'no_track') a.noTrack = true;
    else if (t === 'track_group') i++;
    else return a; // validate.ts reported the rest; keep what was readable
  }
  return a;
}

function convertRoute(n: ConfNode, ctx: ConvertContext, path: SpecPath): Obj | undefined {
  const w = words(n);
  const r: Obj = {};
  let i = 0;
  if (w[i] === 'src') {
    r.src = w[i + 1];
    i += 2;
  }
  if (w[i] === 'to') i++;
  if (['blackhole', 'unreachable', 'prohibit'].includes(w[i]!)) r.type = w[i++];
  const to = w[i++];
  if (!to || (to !== 'default' && !isPrefix(to))) return undefined;
  r.to = to === 'default' || to.includes('/') ? to : `${to}/${to.includes(':') ? 128 : 32}`;
  for (; i < w.length; i++) {
    const t = w[i]!;
    if (t === 'via' || t === 'gw') r.via = w[++i];
    else if (t === 'dev') r.dev = w[++i];
    else if (t === 'src') r.src = w[++i];
    else if (t === 'table') r.table = Number(w[++i]);
    else if (t === 'metric') r.metric = Number(w[++i]);
    else if (t === 'scope') r.scope = w[++i];
    else if (t === 'no_track') r.noTrack = true;
    else {
      ctx.warn(n.args[i - 1] ?? n.keyword, 'unsupported', `route option "${t}" is not supported by Vigil yet; the route is kept without it`);
      break;
    }
  }
  ctx.at(path, n.keyword);
  return r;
}

export function convertInstance(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const inst: Obj = {};
  const notify: Obj = {};
  ctx.at(path, node.keyword);
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    const set = (key: string, v: unknown) => {
      if (v === undefined) return;
      inst[key] = v;
      ctx.at([...path, key], n.keyword);
    };
    const setGarp = (key: string, v: unknown) => {
      const garp = (inst.garp ??= {}) as Obj;
      garp[key] = v;
      ctx.at([...path, 'garp', key], n.keyword);
    };
    switch (k) {
      case 'state': set('state', arg(n)?.toUpperCase()); break;
      case 'interface': set('interface', arg(n)); break;
      case 'virtual_router_id': set('virtualRouterId', intArg(n)); break;
      case 'priority': set('priority', intArg(n)); break;
      case 'advert_int': set('advertIntervalMs', msArg(n)); break;
      case 'version': set('version', intArg(n)); break;
      case 'nopreempt': set('nopreempt', true); break;
      case 'preempt': set('nopreempt', false); break;
      case 'preempt_delay': set('preemptDelayMs', msArg(n)); break;
      case 'accept': set('accept', true); break;
      case 'no_accept': set('accept', false); break;
      case 'strict_mode': set('strictMode', flagArg(n)); break;
      case 'dont_track_primary': set('dontTrackPrimary', true); break;
      case 'mcast_src_ip': set('mcastSrcIp', arg(n)); break;
      case 'unicast_src_ip': set('unicastSrcIp', arg(n)); break;
      case 'mcast_dst_ip': set('mcastDstIp', arg(n)); break;
      case 'unicast_ttl': set('unicastTtl', intArg(n)); break;
      case 'skip_check_adv_addr': set('skipCheckAdvAddr', flagArg(n)); break;
      case 'v3_checksum_as_v2': set('v3ChecksumAsV2', flagArg(n)); break;
      case 'promote_secondaries': set('promoteSecondaries', true); break;
      case 'use_vmac': set('useVmac', arg(n) ?? true); break;
      case 'vmac_xmit_base': set('vmacXmitBase', true); break;
      case 'notify_priority_changes': set('notifyPriorityChanges', flagArg(n)); break;
      case 'authentication': {
        const a: Obj = {};
        for (const c of lines(n)) {
          if (c.keyword.text === 'auth_type') a.type = arg(c)?.toUpperCase();
          if (c.keyword.text === 'auth_pass') a.password = arg(c);
        }
        if (a.type && a.password) set('auth', a);
        else ctx.warn(n.keyword, 'missing-keyword', 'authentication needs both auth_type and auth_pass; ignored (keepalived ignores it too)');
        break;
      }
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded': {
        const key = k === 'virtual_ipaddress' ? 'virtualIpAddresses' : 'virtualIpAddressesExcluded';
        const list = lines(n).map(convertAddress).filter((a): a is Obj => a !== undefined);
        lines(n).forEach((c, i) => ctx.at([...path, key, i], c.keyword));
        set(key, list);
        break;
      }
      case 'virtual_routes':
        set('virtualRoutes', lines(n).map((c, i) => convertRoute(c, ctx, [...path, 'virtualRoutes', i])).filter(Boolean));
        break;
      case 'unicast_peer':
        set('unicastPeers', lines(n).map((c) => {
          const w = words(c);
          const p: Obj = { address: w[0] };
          for (let i = 1; i + 1 < w.length; i += 2) p[w[i] === 'min_ttl' ? 'minTtl' : 'maxTtl'] = Number(w[i + 1]);
          return p;
        }));
        break;
      case 'track_interface': set('trackInterfaces', lines(n).map((c) => tracked(c, 'interface'))); break;
      case 'track_script': set('trackScripts', lines(n).map((c) => tracked(c, 'name'))); break;
      case 'track_file': set('trackFiles', lines(n).map((c) => tracked(c, 'name'))); break;
      case 'track_process': set('trackProcesses', lines(n).map((c) => tracked(c, 'name'))); break;
      case 'garp_master_delay': setGarp('masterDelayMs', msArg(n)); break;
      case 'garp_master_repeat': setGarp('masterRepeat', intArg(n)); break;
      case 'garp_master_refresh': setGarp('masterRefreshMs', msArg(n)); break;
      case 'garp_master_refresh_repeat': setGarp('masterRefreshRepeat', intArg(n)); break;
      case 'garp_lower_prio_delay': setGarp('lowerPrioDelayMs', msArg(n)); break;
      case 'garp_lower_prio_repeat': setGarp('lowerPrioRepeat', intArg(n)); break;
      case 'notify_master': case 'notify_backup': case 'notify_fault': case 'notify_stop': case 'notify': {
        const key = k === 'notify' ? 'any' : k.slice('notify_'.length);
        notify[key] = commandArg(n);
        const user = commandUser(n);
        if (user) notify.user = user;
        ctx.at([...path, 'notify', key], n.keyword);
        break;
      }
    }
  }
  if (Object.keys(notify).length) inst.notify = notify;
  if (inst.virtualRouterId === undefined) ctx.error(node.keyword, 'missing-keyword', `vrrp_instance "${arg(node)}" has no virtual_router_id`, 'add: virtual_router_id 1..255 (the same on every director of this instance)');
  return inst;
}

export function convertSyncGroup(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const g: Obj = { group: [] as string[] };
  const notify: Obj = {};
  ctx.at(path, node.keyword);
  for (const n of lines(node)) {
    const k = n.keyword.text;
    ctx.at([...path, k], n.keyword);
    if (k === 'group') g.group = lines(n).flatMap(words);
    else if (k === 'track_interface') g.trackInterfaces = lines(n).map((c) => tracked(c, 'interface'));
    else if (k === 'track_script') g.trackScripts = lines(n).map((c) => tracked(c, 'name'));
    else if (k === 'track_file') g.trackFiles = lines(n).map((c) => tracked(c, 'name'));
    else if (k === 'track_process') g.trackProcesses = lines(n).map((c) => tracked(c, 'name'));
    else if (k === 'notify_priority_changes') g.notifyPriorityChanges = flagArg(n);
    else if (k === 'sync_group_tracking_weight') g.trackingWeight = true;
    else if (k.startsWith('notify')) notify[k === 'notify' ? 'any' : k.slice('notify_'.length)] = commandArg(n);
  }
  if (Object.keys(notify).length) g.notify = notify;
  return g;
}
