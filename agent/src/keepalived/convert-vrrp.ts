/**
 * keepalived VRRP blocks -> cluster-spec objects: global_defs, vrrp_script, vrrp_instance,
 * vrrp_sync_group, track_file, vrrp_track_process. Unknown/unsupported keywords were already
 * reported by validate.ts and are skipped here.
 *
 * Where keepalived runs a file in a way that surprises, the spec says what keepalived does and a
 * warning says why (keepalived 2.2.7 keepalived/vrrp/vrrp_parser.c, vrrp.c `vrrp_complete_instance`):
 * - `auth_pass` longer than 8 bytes is truncated to 8; `auth_type` is case-sensitive (`pass`
 *   means no authentication at all);
 * - `state` is case-sensitive (anything but MASTER/BACKUP is BACKUP), and BACKUP after MASTER is
 *   ignored;
 * - `unicast_src_ip` and `mcast_src_ip` set the same source address; with no unicast peer the
 *   instance runs multicast from that address;
 * - a `track_interface` naming the instance's own interface is dropped;
 * - list blocks given twice (`virtual_ipaddress`, `track_script`, `unicast_peer`, ...) add up;
 * - an instance with no virtual address is refused under VRRPv3 or strict mode, else warned.
 */
import { isIP } from 'node:net';
import { addressArg, arg, commandArg, commandUser, compact, flagArg, intArg, keywordLines, lines, msArg, put, words, type ConvertContext, type SpecPath } from './convert-util.ts';
import type { ConfNode } from './tree.ts';
import { isPrefix, keepalivedAddress } from './validate.ts';

type Obj = Record<string, unknown>;

const GARP_KEYS = new Map<string, [string, 'ms' | 'int' | 'flag']>([
  ['vrrp_garp_master_delay', ['masterDelayMs', 'ms']],
  ['vrrp_garp_master_repeat', ['masterRepeat', 'int']],
  ['vrrp_garp_master_refresh', ['masterRefreshMs', 'ms']],
  ['vrrp_garp_master_refresh_repeat', ['masterRefreshRepeat', 'int']],
  ['vrrp_garp_lower_prio_delay', ['lowerPrioDelayMs', 'ms']],
  ['vrrp_garp_lower_prio_repeat', ['lowerPrioRepeat', 'int']],
  ['vrrp_garp_interval', ['intervalMs', 'ms']],
  ['vrrp_gna_interval', ['gnaIntervalMs', 'ms']],
  ['vrrp_min_garp', ['minGarp', 'flag']],
]);
const LVS_TIMEOUTS = new Map([['tcp', 'tcpMs'], ['tcpfin', 'tcpFinMs'], ['udp', 'udpMs']]);
const SYNC_DAEMON = new Map<string, [string, boolean]>([['inst', ['instance', false]], ['id', ['syncId', true]], ['maxlen', ['maxlen', true]], ['port', ['port', true]], ['ttl', ['ttl', true]], ['group', ['group', false]]]);

export function convertGlobal(node: ConfNode, global: Obj, director: Obj, ctx: ConvertContext): void {
  const garp = (global.garp ??= {}) as Obj;
  const path: SpecPath = ['global'];
  const garpPath: SpecPath = ['global', 'garp'];
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, global, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    const g = GARP_KEYS.get(k);
    if (g) {
      const v = g[1] === 'ms' ? msArg(n) : g[1] === 'int' ? intArg(n) : flagArg(n);
      // keepalived ignores an interval of 0 (outside 0.000001..4294.967295; validate.ts warned).
      if (v === undefined || ((k === 'vrrp_garp_interval' || k === 'vrrp_gna_interval') && v === 0)) continue;
      put(ctx, garpPath, garp, g[0], n, v);
      continue;
    }
    switch (k) {
      case 'router_id':
        director.routerId = arg(n);
        ctx.at(['directors'], n.keyword);
        break;
      case 'vrrp_version': set('vrrpVersion', intArg(n)); break;
      case 'vrrp_mcast_group4': set('vrrpMcastGroup4', addressArg(n)); break;
      case 'vrrp_mcast_group6': set('vrrpMcastGroup6', addressArg(n)); break;
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
        for (let i = 0; i + 1 < n.args.length; i += 2) {
          const key = LVS_TIMEOUTS.get(arg(n, i)!);
          if (key) t[key] = msArg(n, i + 1);
        }
        set('lvsTimeouts', compact(t));
        break;
      }
      case 'lvs_sync_daemon': {
        const d: Obj = { interface: arg(n) };
        for (let i = 1; i + 1 < n.args.length; i += 2) {
          const key = SYNC_DAEMON.get(arg(n, i)!);
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
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, s, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    if (k === 'script') set('script', commandArg(n));
    else if (k === 'interval') set('intervalMs', msArg(n));
    else if (k === 'timeout') set('timeoutMs', msArg(n));
    else if (k === 'weight') {
      set('weight', intArg(n));
      if (arg(n, 1) === 'reverse') set('reverse', true);
    } else if (k === 'rise') set('rise', intArg(n));
    else if (k === 'fall') set('fall', intArg(n));
    else if (k === 'user') set('user', arg(n, 1) ? `${arg(n)}:${arg(n, 1)}` : arg(n));
    else if (k === 'init_fail') set('initFail', true);
  }
  if (s.script === undefined) ctx.error(node.keyword, 'missing-keyword', `vrrp_script "${arg(node)}" has no "script" line`, 'add: script "/path/to/check args"');
  return compact(s);
}

export function convertTrackFile(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const f: Obj = {};
  ctx.at(path, node.keyword);
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, f, key, n, v);
  for (n of keywordLines(node)) {
    if (n.keyword.text === 'file') set('file', arg(n));
    else if (n.keyword.text === 'weight') {
      set('weight', intArg(n));
      if (arg(n, 1) === 'reverse') set('reverse', true);
    } else if (n.keyword.text === 'init_file') set('initFile', compact({ value: intArg(n), overwrite: n.args.some((a) => a.text === 'overwrite') || undefined }));
  }
  return compact(f);
}

export function convertTrackProcess(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const p: Obj = {};
  ctx.at(path, node.keyword);
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, p, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    if (k === 'process') set('process', commandArg(n));
    else if (k === 'param_match') set('paramMatch', arg(n));
    else if (k === 'weight') {
      set('weight', intArg(n));
      if (arg(n, 1) === 'reverse') set('reverse', true);
    } else if (k === 'quorum') set('quorum', intArg(n));
    else if (k === 'quorum_max') set('quorumMax', intArg(n));
    else if (k === 'delay') set('delayMs', msArg(n));
    else if (k === 'fork_delay') set('forkDelayMs', msArg(n));
    else if (k === 'terminate_delay') set('terminateDelayMs', msArg(n));
    else if (k === 'full_command') set('fullCommand', true);
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
    } else if (t === 'scope') {
      a.scope = v;
      i++;
    } else if (t === 'label') {
      a.label = v;
      i++;
    } else if (t === 'peer') {
      a.peer = v;
      i++;
    } else if (t === 'preferred_lft') {
      a.preferredLft = v === 'forever' ? 'forever' : Number(v);
      i++;
    } else if (t === 'noprefixroute') a.noPrefixRoute = true;
    else if (t === '-nodad' || t === 'nodad') a.noDad = true;
    else if (t === 'home') a.home = true;
    else if (t === 'no_track') a.noTrack = true;
    else if (t === 'track_group') i++;
    else return a; // validate.ts reported the rest; keep what was readable
  }
  return a;
}

/** A route destination keepalived's `parse_route` takes: default/any/all, default6, a prefix. */
function routeDestination(to: string, family: 'inet' | 'inet6' | undefined): string | undefined {
  if (to === 'default6') return '::/0';
  if (to === 'default' || to === 'any' || to === 'all') return family === 'inet6' ? '::/0' : family === 'inet' ? '0.0.0.0/0' : 'default';
  if (!isPrefix(to)) return undefined;
  return to.includes('/') ? to : `${to}/${to.includes(':') ? 128 : 32}`;
}

function convertRoute(n: ConfNode, ctx: ConvertContext, path: SpecPath): Obj | undefined {
  const w = words(n);
  const r: Obj = {};
  let family: 'inet' | 'inet6' | undefined;
  let i = 0;
  for (;;) {
    if (w[i] === 'src') {
      r.src = w[i + 1];
      i += 2;
    } else if (w[i] === 'inet' || w[i] === 'inet6') {
      // keepalived steps over the word after inet/inet6 as well (validate.ts reports it).
      family = w[i] as 'inet' | 'inet6';
      i += 2;
    } else break;
  }
  if (w[i] === 'to') i++;
  if (['blackhole', 'unreachable', 'prohibit'].includes(w[i]!)) r.type = w[i++];
  const to = w[i++];
  const dest = to === undefined ? undefined : routeDestination(to, family);
  if (!dest) return undefined;
  r.to = dest;
  for (; i < w.length; i++) {
    const t = w[i]!;
    if (t === 'via' || t === 'gw') {
      if (w[i + 1] === 'inet' || w[i + 1] === 'inet6') i++;
      r.via = w[++i];
    } else if (t === 'dev') r.dev = w[++i];
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

/** What the instance said that only matters once all of it is read. */
interface InstanceFacts {
  /** keepalived's single source address (`unicast_src_ip` and `mcast_src_ip` both set it). */
  saddr?: { value: string; node: ConfNode };
  /** A keyword that makes keepalived consider the instance unicast. */
  unicastKeyword?: ConfNode;
  faultNoPeer?: ConfNode;
  stateMaster?: ConfNode;
}

export function convertInstance(node: ConfNode, ctx: ConvertContext, path: SpecPath, global: Obj): Obj {
  const inst: Obj = {};
  const notify: Obj = {};
  const facts: InstanceFacts = {};
  ctx.at(path, node.keyword);
  const append = (key: string, n: ConfNode, items: Obj[]) => {
    // keepalived adds the lines of a list block given twice to what it already has.
    const list = (inst[key] ??= []) as Obj[];
    list.push(...items);
    ctx.at([...path, key], n.keyword);
  };
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, inst, key, n, v);
  const setGarp = (key: string, v: unknown) => put(ctx, [...path, 'garp'], (inst.garp ??= {}) as Obj, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    switch (k) {
      case 'state': {
        const s = arg(n);
        if (s === 'MASTER') {
          facts.stateMaster = n;
          set('state', 'MASTER');
        } else if (s === 'BACKUP') {
          if (facts.stateMaster) ctx.warn(n.keyword, 'keepalived-differs', `"state BACKUP" after "state MASTER" (line ${facts.stateMaster.keyword.line}): keepalived ignores it and starts as MASTER, and so does Vigil`, 'delete one of them');
          else set('state', 'BACKUP');
        } else if (s !== undefined && !facts.stateMaster) set('state', 'BACKUP'); // validate.ts warned: keepalived defaults to BACKUP
        break;
      }
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
      case 'unicast_src_ip':
      case 'mcast_src_ip': {
        if (k === 'unicast_src_ip') facts.unicastKeyword ??= n;
        // A malformed address is skipped by keepalived (validate.ts reported it).
        const a = keepalivedAddress(arg(n) ?? '');
        if (a !== undefined) facts.saddr = { value: a, node: n };
        break;
      }
      case 'check_unicast_src': facts.unicastKeyword ??= n; break;
      case 'unicast_fault_no_peer':
        facts.unicastKeyword ??= n;
        facts.faultNoPeer = n;
        break;
      case 'mcast_dst_ip': set('mcastDstIp', addressArg(n)); break;
      case 'unicast_ttl': set('unicastTtl', intArg(n)); break;
      case 'skip_check_adv_addr': set('skipCheckAdvAddr', flagArg(n)); break;
      case 'lower_prio_no_advert': set('lowerPrioNoAdvert', flagArg(n)); break;
      case 'higher_prio_send_advert': set('higherPrioSendAdvert', flagArg(n)); break;
      case 'v3_checksum_as_v2': set('v3ChecksumAsV2', flagArg(n)); break;
      case 'promote_secondaries': set('promoteSecondaries', true); break;
      case 'use_vmac': set('useVmac', arg(n) ?? true); break;
      case 'vmac_xmit_base': set('vmacXmitBase', true); break;
      case 'notify_priority_changes': set('notifyPriorityChanges', flagArg(n)); break;
      case 'authentication': {
        const a: Obj = {};
        const apath = [...path, 'auth'];
        for (const c of keywordLines(n)) {
          if (c.keyword.text === 'auth_type') {
            // keepalived compares case-sensitively: "pass" is an unknown type, so no authentication.
            const t = arg(c);
            if (t === 'PASS' || t === 'AH') put(ctx, apath, a, 'type', c, t);
            else if (t !== undefined) ctx.warn(c.args[0]!, 'keepalived-differs', `keepalived does not recognise auth_type "${t}" (it compares case-sensitively), so it sends no authentication; neither does Vigil`, `write "${t.toUpperCase()}"`);
          }
          if (c.keyword.text === 'auth_pass' && arg(c) !== undefined) {
            // The VRRPv2 authentication data is 8 bytes: keepalived keeps the first 8 (validate.ts warned).
            put(ctx, apath, a, 'password', c, Buffer.from(arg(c)!).subarray(0, 8).toString('utf8'));
          }
        }
        if (a.type && a.password) set('auth', a);
        else ctx.warn(n.keyword, 'missing-keyword', 'authentication needs both auth_type and auth_pass; ignored (keepalived ignores it too)');
        break;
      }
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded': {
        const key = k === 'virtual_ipaddress' ? 'virtualIpAddresses' : 'virtualIpAddressesExcluded';
        const at = ((inst[key] as Obj[] | undefined) ?? []).length;
        const list = lines(n).map(convertAddress).filter((a): a is Obj => a !== undefined);
        lines(n).forEach((c, i) => ctx.at([...path, key, at + i], c.keyword));
        append(key, n, list);
        break;
      }
      case 'virtual_routes':
        append('virtualRoutes', n, lines(n).map((c, i) => convertRoute(c, ctx, [...path, 'virtualRoutes', ((inst.virtualRoutes as Obj[] | undefined) ?? []).length + i])).filter((r): r is Obj => r !== undefined));
        break;
      case 'unicast_peer': {
        facts.unicastKeyword ??= n;
        const at = ((inst.unicastPeers as Obj[] | undefined) ?? []).length;
        append('unicastPeers', n, lines(n).map((c, i) => {
          const w = words(c);
          const p: Obj = { address: keepalivedAddress(w[0]!) ?? w[0] };
          for (let j = 1; j + 1 < w.length; j += 2) p[w[j] === 'min_ttl' ? 'minTtl' : 'maxTtl'] = Number(w[j + 1]);
          ctx.at([...path, 'unicastPeers', at + i], c.keyword);
          return p;
        }));
        break;
      }
      case 'track_interface': {
        const at = ((inst.trackInterfaces as Obj[] | undefined) ?? []).length;
        lines(n).forEach((c, i) => ctx.at([...path, 'trackInterfaces', at + i], c.keyword));
        append('trackInterfaces', n, lines(n).map((c) => compact({ ...tracked(c, 'interface'), at: c })));
        break;
      }
      case 'track_script': append('trackScripts', n, trackList(n, ctx, [...path, 'trackScripts'], inst.trackScripts)); break;
      case 'track_file': append('trackFiles', n, trackList(n, ctx, [...path, 'trackFiles'], inst.trackFiles)); break;
      case 'track_process': append('trackProcesses', n, trackList(n, ctx, [...path, 'trackProcesses'], inst.trackProcesses)); break;
      case 'garp_master_delay': setGarp('masterDelayMs', msArg(n)); break;
      case 'garp_master_repeat': setGarp('masterRepeat', intArg(n)); break;
      case 'garp_master_refresh': setGarp('masterRefreshMs', msArg(n)); break;
      case 'garp_master_refresh_repeat': setGarp('masterRefreshRepeat', intArg(n)); break;
      case 'garp_lower_prio_delay': setGarp('lowerPrioDelayMs', msArg(n)); break;
      case 'garp_lower_prio_repeat': setGarp('lowerPrioRepeat', intArg(n)); break;
      case 'notify_master': case 'notify_backup': case 'notify_fault': case 'notify_stop': case 'notify': {
        const key = k === 'notify' ? 'any' : k.slice('notify_'.length);
        put(ctx, [...path, 'notify'], notify, key, n, commandArg(n));
        const user = commandUser(n);
        if (user) put(ctx, [...path, 'notify'], notify, 'user', n, user);
        break;
      }
    }
  }
  if (Object.keys(notify).length) inst.notify = notify;
  finishInstance(node, inst, facts, ctx, path, global);
  return inst;
}

function trackList(n: ConfNode, ctx: ConvertContext, path: SpecPath, existing: unknown): Obj[] {
  const at = ((existing as Obj[] | undefined) ?? []).length;
  return lines(n).map((c, i) => {
    ctx.at([...path, at + i], c.keyword);
    ctx.at([...path, at + i, 'name'], c.keyword);
    return tracked(c, 'name');
  });
}

/** What keepalived's `vrrp_complete_instance` decides once the whole instance is read. */
function finishInstance(node: ConfNode, inst: Obj, facts: InstanceFacts, ctx: ConvertContext, path: SpecPath, global: Obj): void {
  const name = arg(node);
  if (inst.virtualRouterId === undefined) ctx.error(node.keyword, 'missing-keyword', `vrrp_instance "${name}" has no virtual_router_id`, 'add: virtual_router_id 1..255 (the same on every director of this instance)');
  const peers = (inst.unicastPeers as Obj[] | undefined) ?? [];
  if (facts.saddr) {
    // One source address, used for unicast when there are peers and for multicast otherwise.
    const key = peers.length > 0 ? 'unicastSrcIp' : 'mcastSrcIp';
    put(ctx, path, inst, key, facts.saddr.node, facts.saddr.value);
  }
  if (facts.unicastKeyword && peers.length === 0) {
    if (facts.faultNoPeer) {
      ctx.error(facts.faultNoPeer.keyword, 'keepalived-differs', `vrrp_instance "${name}": unicast_fault_no_peer with no unicast_peer keeps the instance in FAULT state in keepalived; Vigil does not run an instance that can never work`, 'add the unicast peers, or delete unicast_fault_no_peer');
    } else {
      ctx.warn(facts.unicastKeyword.keyword, 'keepalived-differs', `vrrp_instance "${name}": "${facts.unicastKeyword.keyword.text}" without any unicast_peer: keepalived runs the instance with multicast (deprecated), and so does Vigil${facts.saddr ? `, sending from ${facts.saddr.value}` : ''}`, 'add unicast_peer { ... } for unicast, or delete the unicast keywords');
    }
  }
  // keepalived drops a track_interface naming the instance's own interface (it tracks that one anyway).
  const tracks = inst.trackInterfaces as (Obj & { at: ConfNode })[] | undefined;
  if (tracks) {
    const own = inst.interface;
    const kept = tracks.filter((t) => {
      if (own === undefined || t.interface !== own) return true;
      ctx.warn(t.at.keyword, 'keepalived-differs', `track_interface ${own} is the instance's own interface: keepalived ignores this line (it follows its own interface anyway), and so does Vigil`, 'delete the line');
      return false;
    });
    inst.trackInterfaces = kept.map(({ at: _at, ...t }) => t);
    kept.forEach((t, i) => ctx.at([...path, 'trackInterfaces', i], t.at.keyword));
  }
  const vips = (inst.virtualIpAddresses as Obj[] | undefined) ?? [];
  if (vips.length === 0) {
    const v6 = [...((inst.virtualIpAddressesExcluded as Obj[] | undefined) ?? []), ...peers].some((a) => String(a.address ?? '').includes(':'))
      || (facts.saddr !== undefined && isIP(facts.saddr.value) === 6);
    const version = (inst.version as number | undefined) ?? (global.vrrpVersion as number | undefined) ?? 2;
    const strict = (inst.strictMode as boolean | undefined) ?? (global.vrrpStrict as boolean | undefined) ?? false;
    if (version === 3 || strict || v6) {
      ctx.error(node.keyword, 'missing-keyword', `vrrp_instance "${name}" has no virtual_ipaddress: keepalived refuses such an instance with ${version === 3 ? 'VRRPv3' : strict ? 'strict mode' : 'IPv6'} ("No VIP specified; at least one is required")`, 'add virtual_ipaddress { ADDRESS }');
    } else {
      ctx.warn(node.keyword, 'missing-keyword', `vrrp_instance "${name}" has no virtual_ipaddress: it elects a master but moves no address (keepalived: "at least one is sensible")`, 'add virtual_ipaddress { ADDRESS }, or use this instance only for its notify scripts');
    }
  }
}

export function convertSyncGroup(node: ConfNode, ctx: ConvertContext, path: SpecPath): Obj {
  const g: Obj = { group: [] as string[] };
  const notify: Obj = {};
  ctx.at(path, node.keyword);
  let n!: ConfNode;
  const set = (key: string, v: unknown) => put(ctx, path, g, key, n, v);
  for (n of keywordLines(node)) {
    const k = n.keyword.text;
    ctx.atField(path, k, n.keyword);
    if (k === 'group') {
      set('group', lines(n).flatMap(words));
      lines(n).forEach((c, i) => ctx.at([...path, 'group', i], c.keyword));
    } else if (k === 'track_interface') set('trackInterfaces', lines(n).map((c) => tracked(c, 'interface')));
    else if (k === 'track_script') set('trackScripts', trackList(n, ctx, [...path, 'trackScripts'], undefined));
    else if (k === 'track_file') set('trackFiles', trackList(n, ctx, [...path, 'trackFiles'], undefined));
    else if (k === 'track_process') set('trackProcesses', trackList(n, ctx, [...path, 'trackProcesses'], undefined));
    else if (k === 'notify_priority_changes') set('notifyPriorityChanges', flagArg(n));
    else if (k === 'sync_group_tracking_weight') set('trackingWeight', true);
    else if (k.startsWith('notify')) put(ctx, [...path, 'notify'], notify, k === 'notify' ? 'any' : k.slice('notify_'.length), n, commandArg(n));
  }
  if (Object.keys(notify).length) g.notify = notify;
  return g;
}

