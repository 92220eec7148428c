/**
 * Cluster spec + one director -> the keepalived.conf that director runs. Pure.
 *
 * The output is keepalived 2.2 syntax that `keepalived -t` accepts and that `vigil import`
 * reads back to the same spec: every value the director runs is written (its overrides merged
 * over the cluster-wide values), values equal to keepalived's defaults are left out, and the
 * keywords are the ones the importer reads. Durations are written in seconds (fractions where
 * keepalived takes them). A value keepalived's syntax cannot carry (a command with a double
 * quote in it) is reported, never silently changed.
 */
import {
  canonicalIp, instanceMembers, overrideOf, UnknownDirectorError, type Checker, type ClusterSpec, type HttpUrl, type NotifyHooks,
  type RealServer, type SyncGroup, type TrackInterfaceRef, type TrackRef, type VirtualIpAddress, type VirtualRoute, type VirtualServer,
  type VrrpInstance,
} from '#schema';

export interface ExportResult {
  text: string;
  /** Values that could not be written exactly (the text says what was done instead). */
  problems: string[];
}

/** Seconds from ms: "1", "0.5", "2.25". */
export function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

class Writer {
  readonly lines: string[] = [];
  readonly problems: string[] = [];
  private depth = 0;

  line(...words: (string | number | undefined)[]): void {
    const w = words.filter((x) => x !== undefined).map(String);
    this.lines.push(`${'    '.repeat(this.depth)}${w.join(' ')}`);
  }

  block(head: string, body: () => void): void {
    this.line(head, '{');
    this.depth++;
    body();
    this.depth--;
    this.line('}');
  }

  blank(): void {
    if (this.lines.length && this.lines.at(-1) !== '') this.lines.push('');
  }

  /** A free-text value as one token: quoted (keepalived keeps `#` and `!` inside quotes). */
  quote(text: string, what: string): string {
    if (text.includes('"') || /[\r\n]/.test(text)) {
      this.problems.push(`${what}: ${JSON.stringify(text)} holds a double quote or a line break, which keepalived.conf cannot quote; it is written without them`);
      return `"${text.replace(/["\r\n]/g, ' ')}"`;
    }
    return `"${text}"`;
  }
}

const nonDefault = <T>(v: T | undefined, dflt: T): v is T => v !== undefined && v !== dflt;

function writeGlobal(w: Writer, spec: ClusterSpec, director: string): void {
  const g = spec.global;
  const d = spec.directors[director] ?? {};
  w.block('global_defs', () => {
    if (d.routerId !== undefined) w.line('router_id', d.routerId);
    if (g.vrrpVersion !== 2) w.line('vrrp_version', g.vrrpVersion);
    if (canonicalIp(g.vrrpMcastGroup4) !== '224.0.0.18') w.line('vrrp_mcast_group4', g.vrrpMcastGroup4);
    if (canonicalIp(g.vrrpMcastGroup6) !== 'ff02::12') w.line('vrrp_mcast_group6', g.vrrpMcastGroup6);
    const defaultInterface = d.defaultInterface ?? g.defaultInterface;
    if (defaultInterface) w.line('default_interface', defaultInterface);
    if (g.vrrpStrict) w.line('vrrp_strict');
    if (g.vrrpSkipCheckAdvAddr) w.line('vrrp_skip_check_adv_addr');
    if (g.vrrpCheckUnicastSrc) w.line('vrrp_check_unicast_src');
    if (g.v3ChecksumAsV2) w.line('v3_checksum_as_v2');
    if (g.lowerPrioNoAdvert) w.line('vrrp_lower_prio_no_advert');
    if (g.higherPrioSendAdvert) w.line('vrrp_higher_prio_send_advert');
    if (g.downTimerAdverts !== 3) w.line('vrrp_down_timer_adverts', g.downTimerAdverts);
    if (g.startupDelayMs) w.line('vrrp_startup_delay', seconds(g.startupDelayMs));
    const garp = g.garp;
    if (garp.masterDelayMs !== 5000) w.line('vrrp_garp_master_delay', seconds(garp.masterDelayMs));
    if (garp.masterRepeat !== 5) w.line('vrrp_garp_master_repeat', garp.masterRepeat);
    if (garp.masterRefreshMs) w.line('vrrp_garp_master_refresh', seconds(garp.masterRefreshMs));
    if (garp.masterRefreshRepeat !== 1) w.line('vrrp_garp_master_refresh_repeat', garp.masterRefreshRepeat);
    if (garp.lowerPrioDelayMs !== undefined) w.line('vrrp_garp_lower_prio_delay', seconds(garp.lowerPrioDelayMs));
    if (garp.lowerPrioRepeat !== undefined) w.line('vrrp_garp_lower_prio_repeat', garp.lowerPrioRepeat);
    if (garp.intervalMs) w.line('vrrp_garp_interval', seconds(garp.intervalMs));
    if (garp.gnaIntervalMs) w.line('vrrp_gna_interval', seconds(garp.gnaIntervalMs));
    if (garp.minGarp) w.line('vrrp_min_garp', 'true');
    if (g.dynamicInterfaces) w.line('dynamic_interfaces', g.dynamicInterfaces === 'allow_if_changes' ? 'allow_if_changes' : undefined);
    if (g.scriptUser) w.line('script_user', ...g.scriptUser.split(':'));
    if (g.enableScriptSecurity) w.line('enable_script_security');
    if (g.startupScript) w.line('startup_script', w.quote(g.startupScript, 'startup_script'));
    if (g.shutdownScript) w.line('shutdown_script', w.quote(g.shutdownScript, 'shutdown_script'));
    if (g.lvsFlush) w.line('lvs_flush');
    if (g.lvsFlushOnStop) w.line('lvs_flush_onstop');
    for (const [key, kw] of [['notifyFifo', 'notify_fifo'], ['vrrpNotifyFifo', 'vrrp_notify_fifo'], ['lvsNotifyFifo', 'lvs_notify_fifo']] as const) {
      if (g[key]) w.line(kw, g[key]);
    }
    for (const [key, kw] of [['notifyFifoScript', 'notify_fifo_script'], ['vrrpNotifyFifoScript', 'vrrp_notify_fifo_script'], ['lvsNotifyFifoScript', 'lvs_notify_fifo_script']] as const) {
      if (g[key]) w.line(kw, w.quote(g[key], kw));
    }
    if (g.lvsTimeouts) {
      const t = g.lvsTimeouts;
      const parts = [t.tcpMs !== undefined ? `tcp ${seconds(t.tcpMs)}` : undefined, t.tcpFinMs !== undefined ? `tcpfin ${seconds(t.tcpFinMs)}` : undefined, t.udpMs !== undefined ? `udp ${seconds(t.udpMs)}` : undefined].filter(Boolean);
      if (parts.length) w.line('lvs_timeouts', ...parts);
    }
    if (g.lvsSyncDaemon) {
      const s = g.lvsSyncDaemon;
      w.line('lvs_sync_daemon', s.interface, s.instance, s.syncId !== undefined ? `id ${s.syncId}` : undefined, s.maxlen !== undefined ? `maxlen ${s.maxlen}` : undefined,
        s.port !== 8848 ? `port ${s.port}` : undefined, s.ttl !== undefined ? `ttl ${s.ttl}` : undefined, s.group !== undefined ? `group ${s.group}` : undefined);
    }
  });
  if (g.ssl) {
    const ssl = g.ssl;
    w.blank();
    w.block('SSL', () => {
      if (ssl.password !== undefined) w.line('password', w.quote(ssl.password, 'SSL password'));
      if (ssl.ca) w.line('ca', ssl.ca);
      if (ssl.certificate) w.line('certificate', ssl.certificate);
      if (ssl.key) w.line('key', ssl.key);
    });
  }
}

function weightWords(weight: number | undefined, reverse: boolean | undefined): (string | number)[] {
  if (weight === undefined) return [];
  return reverse ? ['weight', weight, 'reverse'] : ['weight', weight];
}

function writeTrackRefs(w: Writer, keyword: string, refs: TrackRef[]): void {
  if (!refs.length) return;
  w.block(keyword, () => {
    for (const r of refs) w.line(r.name, ...weightWords(r.weight, r.reverse));
  });
}

function writeTrackInterfaces(w: Writer, refs: TrackInterfaceRef[]): void {
  if (!refs.length) return;
  w.block('track_interface', () => {
    for (const r of refs) w.line(r.interface, ...(r.weight !== 0 || r.reverse ? weightWords(r.weight, r.reverse) : []));
  });
}

function writeNotify(w: Writer, notify: NotifyHooks | undefined, kinds: readonly (keyof NotifyHooks)[]): void {
  if (!notify) return;
  const kw: Record<string, string> = { master: 'notify_master', backup: 'notify_backup', fault: 'notify_fault', stop: 'notify_stop', any: 'notify', masterRxLowerPri: 'notify_master_rx_lower_pri', deleted: 'notify_deleted' };
  for (const k of kinds) {
    const cmd = notify[k];
    if (typeof cmd === 'string' && kw[k]) w.line(kw[k], w.quote(cmd, kw[k]), notify.user);
  }
}

function vipWords(v: VirtualIpAddress): (string | number)[] {
  const out: (string | number)[] = [v.address];
  if (v.brd !== undefined) out.push('brd', v.brd);
  if (v.dev !== undefined) out.push('dev', v.dev);
  if (v.scope !== undefined) out.push('scope', v.scope);
  if (v.label !== undefined) out.push('label', v.label);
  if (v.peer !== undefined) out.push('peer', v.peer);
  if (v.noPrefixRoute) out.push('noprefixroute');
  if (v.noDad) out.push('-nodad');
  if (v.home) out.push('home');
  if (v.preferredLft !== undefined) out.push('preferred_lft', v.preferredLft);
  if (v.noTrack) out.push('no_track');
  return out;
}

function routeWords(r: VirtualRoute): (string | number)[] {
  const out: (string | number)[] = [];
  if (r.src !== undefined) out.push('src', r.src);
  if (r.type !== 'unicast') out.push(r.type);
  out.push(r.to);
  if (r.via !== undefined) out.push('via', r.via);
  if (r.dev !== undefined) out.push('dev', r.dev);
  if (r.table !== undefined) out.push('table', r.table);
  if (r.metric !== undefined) out.push('metric', r.metric);
  if (r.scope !== undefined) out.push('scope', r.scope);
  if (r.noTrack) out.push('no_track');
  return out;
}

function writeInstance(w: Writer, spec: ClusterSpec, name: string, inst: VrrpInstance, director: string): void {
  const ov = overrideOf(inst, director);
  const d = spec.directors[director] ?? {};
  w.block(`vrrp_instance ${name}`, () => {
    w.line('state', ov.state ?? inst.state);
    const iface = ov.interface ?? inst.interface;
    if (iface) w.line('interface', iface);
    w.line('virtual_router_id', ov.virtualRouterId ?? inst.virtualRouterId);
    const version = ov.version ?? inst.version;
    if (version !== undefined) w.line('version', version);
    w.line('priority', ov.priority ?? inst.priority);
    w.line('advert_int', seconds(ov.advertIntervalMs ?? inst.advertIntervalMs));
    if (ov.nopreempt ?? inst.nopreempt) w.line('nopreempt');
    const preemptDelay = ov.preemptDelayMs ?? inst.preemptDelayMs;
    if (preemptDelay) w.line('preempt_delay', seconds(preemptDelay));
    if (inst.accept !== undefined) w.line(inst.accept ? 'accept' : 'no_accept');
    if (inst.strictMode !== undefined) w.line('strict_mode', inst.strictMode ? 'on' : 'off');
    if (inst.dontTrackPrimary) w.line('dont_track_primary');
    if (inst.skipCheckAdvAddr !== undefined) w.line('skip_check_adv_addr', inst.skipCheckAdvAddr ? 'on' : 'off');
    if (inst.lowerPrioNoAdvert !== undefined) w.line('lower_prio_no_advert', inst.lowerPrioNoAdvert ? 'on' : 'off');
    if (inst.higherPrioSendAdvert !== undefined) w.line('higher_prio_send_advert', inst.higherPrioSendAdvert ? 'on' : 'off');
    if (inst.v3ChecksumAsV2 !== undefined) w.line('v3_checksum_as_v2', inst.v3ChecksumAsV2 ? 'on' : 'off');
    if (inst.promoteSecondaries) w.line('promote_secondaries');
    if (inst.useVmac !== false) w.line('use_vmac', inst.useVmac === true ? undefined : inst.useVmac);
    if (inst.vmacXmitBase) w.line('vmac_xmit_base');
    if (inst.notifyPriorityChanges) w.line('notify_priority_changes', 'on');
    const mcastSrc = ov.mcastSrcIp ?? d.mcastSrcIp;
    if (mcastSrc) w.line('mcast_src_ip', mcastSrc);
    if (inst.mcastDstIp) w.line('mcast_dst_ip', inst.mcastDstIp);
    if (inst.unicastPeers.length) {
      const src = ov.unicastSrcIp ?? d.unicastSrcIp;
      if (src) w.line('unicast_src_ip', src);
      if (inst.unicastTtl !== undefined) w.line('unicast_ttl', inst.unicastTtl);
      // Each director lists the others: keepalived would send to itself otherwise.
      const peers = inst.unicastPeers.filter((p) => !src || canonicalIp(p.address) !== canonicalIp(src));
      w.block('unicast_peer', () => {
        for (const p of peers) w.line(p.address, p.minTtl !== undefined ? `min_ttl ${p.minTtl}` : undefined, p.maxTtl !== undefined ? `max_ttl ${p.maxTtl}` : undefined);
      });
    } else if (inst.unicastTtl !== undefined) w.line('unicast_ttl', inst.unicastTtl);
    const auth = ov.auth ?? inst.auth;
    if (auth) {
      w.block('authentication', () => {
        w.line('auth_type', auth.type);
        w.line('auth_pass', w.quote(auth.password, 'auth_pass'));
      });
    }
    const vips = ov.virtualIpAddresses ?? inst.virtualIpAddresses;
    if (vips.length) w.block('virtual_ipaddress', () => vips.forEach((v) => w.line(...vipWords(v))));
    if (inst.virtualIpAddressesExcluded.length) w.block('virtual_ipaddress_excluded', () => inst.virtualIpAddressesExcluded.forEach((v) => w.line(...vipWords(v))));
    if (inst.noVirtualIpAddress) w.line('no_virtual_ipaddress');
    if (inst.virtualRoutes.length) w.block('virtual_routes', () => inst.virtualRoutes.forEach((r) => w.line(...routeWords(r))));
    // keepalived always follows the instance's own interface and refuses to track it again.
    writeTrackInterfaces(w, (ov.trackInterfaces ?? inst.trackInterfaces).filter((t) => t.interface !== iface));
    writeTrackRefs(w, 'track_script', inst.trackScripts);
    writeTrackRefs(w, 'track_file', inst.trackFiles);
    writeTrackRefs(w, 'track_process', inst.trackProcesses);
    const garp = inst.garp;
    if (garp) {
      if (garp.masterDelayMs !== undefined) w.line('garp_master_delay', seconds(garp.masterDelayMs));
      if (garp.masterRepeat !== undefined) w.line('garp_master_repeat', garp.masterRepeat);
      if (garp.masterRefreshMs !== undefined) w.line('garp_master_refresh', seconds(garp.masterRefreshMs));
      if (garp.masterRefreshRepeat !== undefined) w.line('garp_master_refresh_repeat', garp.masterRefreshRepeat);
      if (garp.lowerPrioDelayMs !== undefined) w.line('garp_lower_prio_delay', seconds(garp.lowerPrioDelayMs));
      if (garp.lowerPrioRepeat !== undefined) w.line('garp_lower_prio_repeat', garp.lowerPrioRepeat);
    }
    writeNotify(w, inst.notify, ['master', 'backup', 'fault', 'stop', 'any', 'masterRxLowerPri']);
  });
}

function writeSyncGroup(w: Writer, name: string, g: SyncGroup, local: string[]): void {
  w.block(`vrrp_sync_group ${name}`, () => {
    w.block('group', () => local.forEach((i) => w.line(i)));
    writeTrackInterfaces(w, g.trackInterfaces);
    writeTrackRefs(w, 'track_script', g.trackScripts);
    writeTrackRefs(w, 'track_file', g.trackFiles);
    writeTrackRefs(w, 'track_process', g.trackProcesses);
    if (g.notifyPriorityChanges) w.line('notify_priority_changes', 'on');
    if (g.trackingWeight) w.line('sync_group_tracking_weight');
    writeNotify(w, g.notify, ['master', 'backup', 'fault', 'stop', 'any', 'deleted']);
  });
}

interface Timing { connectTimeoutMs?: number | undefined; retry?: number | undefined; delayBeforeRetryMs?: number | undefined; delayLoopMs?: number | undefined; warmupMs?: number | undefined; alpha?: boolean | undefined }

function writeTiming(w: Writer, t: Timing): void {
  if (t.delayLoopMs !== undefined) w.line('delay_loop', seconds(t.delayLoopMs));
  if (t.connectTimeoutMs !== undefined) w.line('connect_timeout', seconds(t.connectTimeoutMs));
  if (t.retry !== undefined) w.line('retry', t.retry);
  if (t.delayBeforeRetryMs !== undefined) w.line('delay_before_retry', seconds(t.delayBeforeRetryMs));
  if (t.warmupMs !== undefined) w.line('warmup', seconds(t.warmupMs));
  if (t.alpha !== undefined) w.line('alpha', t.alpha ? 'on' : 'off');
}

function methodWords(method: string | undefined, tunnel: VirtualServer['tunnel']): (string | number)[] {
  if (!method) return [];
  const out: (string | number)[] = ['lvs_method', method];
  if (tunnel) {
    out.push('type', tunnel.type);
    if (tunnel.port !== undefined) out.push('port', tunnel.port);
    if (tunnel.checksum) out.push(tunnel.checksum);
  }
  return out;
}

function statusCodes(list: NonNullable<HttpUrl['statusCodes']>): string {
  return list.map((s) => (typeof s === 'number' ? String(s) : `${s.from}-${s.to}`)).join(' ');
}

function writeChecker(w: Writer, c: Checker): void {
  w.block(c.type, () => {
    if (c.type !== 'FILE_CHECK') writeTiming(w, c);
    if (c.type === 'MISC_CHECK') {
      w.line('misc_path', w.quote(c.miscPath, 'misc_path'));
      if (c.miscTimeoutMs !== undefined) w.line('misc_timeout', seconds(c.miscTimeoutMs));
      if (c.miscDynamic) w.line('misc_dynamic');
      if (c.user) w.line('user', ...c.user.split(':'));
      return;
    }
    if (c.type === 'FILE_CHECK') {
      w.line('track_file', c.trackFile);
      if (c.dynamic) w.line('dynamic');
      if (c.weight !== undefined) w.line(...weightWords(c.weight, c.reverse));
      return;
    }
    if (c.connectIp) w.line('connect_ip', c.connectIp);
    if (c.connectPort !== undefined) w.line('connect_port', c.connectPort);
    if (c.bindTo) w.line('bindto', c.bindTo);
    if (c.bindIf) w.line('bind_if', c.bindIf);
    if (c.bindPort !== undefined) w.line('bind_port', c.bindPort);
    if (c.fwmark !== undefined) w.line('fwmark', c.fwmark);
    if (c.logAllFailures !== undefined) w.line('log_all_failures', c.logAllFailures ? 'on' : 'off');
    switch (c.type) {
      case 'HTTP_GET': case 'SSL_GET':
        if (c.httpProtocol) w.line('http_protocol', c.httpProtocol);
        if (c.fastRecovery !== undefined) w.line('fast_recovery', c.fastRecovery ? 'on' : 'off');
        if (c.virtualhost) w.line('virtualhost', c.virtualhost);
        if (c.type === 'SSL_GET' && c.enableSni) w.line('enable_sni');
        for (const u of c.urls) {
          w.block('url', () => {
            w.line('path', u.path);
            if (u.digest) w.line('digest', u.digest);
            if (u.statusCodes) w.line('status_code', statusCodes(u.statusCodes));
            if (u.virtualhost) w.line('virtualhost', u.virtualhost);
            if (u.regex) w.line('regex', w.quote(u.regex, 'regex'));
            if (u.regexNoMatch) w.line('regex_no_match');
            if (u.regexOptions?.length) w.line('regex_options', ...u.regexOptions);
            if (u.regexMinOffset !== undefined) w.line('regex_min_offset', u.regexMinOffset);
            if (u.regexMaxOffset !== undefined) w.line('regex_max_offset', u.regexMaxOffset);
          });
        }
        break;
      case 'DNS_CHECK':
        if (c.queryType !== 'SOA') w.line('type', c.queryType);
        if (c.name !== '.') w.line('name', c.name);
        break;
      case 'SMTP_CHECK':
        if (c.heloName) w.line('helo_name', c.heloName);
        break;
      case 'UDP_CHECK':
        if (c.payload) w.line('payload', c.payload);
        if (c.requireReply !== undefined) w.line('require_reply', c.requireReply === true ? undefined : c.requireReply);
        if (c.minReplyLength !== undefined) w.line('min_reply_length', c.minReplyLength);
        if (c.maxReplyLength !== undefined) w.line('max_reply_length', c.maxReplyLength);
        break;
    }
  });
}

function writeRealServer(w: Writer, rs: RealServer): void {
  w.block(`real_server ${rs.address}${rs.port !== undefined ? ` ${rs.port}` : ''}`, () => {
    w.line('weight', rs.weight);
    if (rs.method) w.line(...methodWords(rs.method, rs.tunnel));
    if (rs.upperThreshold !== undefined) w.line('uthreshold', rs.upperThreshold);
    if (rs.lowerThreshold !== undefined) w.line('lthreshold', rs.lowerThreshold);
    if (rs.inhibitOnFailure !== undefined) w.line('inhibit_on_failure', rs.inhibitOnFailure ? 'on' : 'off');
    if (rs.notifyUp) w.line('notify_up', w.quote(rs.notifyUp, 'notify_up'));
    if (rs.notifyDown) w.line('notify_down', w.quote(rs.notifyDown, 'notify_down'));
    if (rs.virtualhost) w.line('virtualhost', rs.virtualhost);
    writeTiming(w, rs);
    rs.checkers.forEach((c) => writeChecker(w, c));
  });
}

function writeVirtualServer(w: Writer, vs: VirtualServer): void {
  const head = vs.fwmark !== undefined ? `fwmark ${vs.fwmark}` : vs.group !== undefined ? `group ${vs.group}` : `${vs.address} ${vs.port ?? 0}`;
  w.block(`virtual_server ${head}`, () => {
    if (vs.ipFamily) w.line('ip_family', vs.ipFamily);
    w.line('lvs_sched', vs.scheduler);
    vs.schedulerFlags.forEach((f) => w.line(f));
    w.line(...methodWords(vs.method, vs.tunnel));
    // A firewall-mark service has no protocol in IPVS; keepalived warns when one is written.
    if (vs.fwmark === undefined || vs.protocol !== 'TCP') w.line('protocol', vs.protocol);
    if (vs.persistenceTimeoutMs) w.line('persistence_timeout', seconds(vs.persistenceTimeoutMs));
    if (vs.persistenceGranularity !== undefined) w.line('persistence_granularity', vs.persistenceGranularity);
    if (vs.persistenceEngine) w.line('persistence_engine', vs.persistenceEngine);
    if (nonDefault(vs.quorum, 1)) w.line('quorum', vs.quorum);
    if (vs.hysteresis) w.line('hysteresis', vs.hysteresis);
    if (vs.quorumUp) w.line('quorum_up', w.quote(vs.quorumUp, 'quorum_up'));
    if (vs.quorumDown) w.line('quorum_down', w.quote(vs.quorumDown, 'quorum_down'));
    if (vs.inhibitOnFailure) w.line('inhibit_on_failure');
    if (vs.omega) w.line('omega');
    if (vs.haSuspend) w.line('ha_suspend');
    if (vs.virtualhost) w.line('virtualhost', vs.virtualhost);
    if (vs.sorryServer) {
      const s = vs.sorryServer;
      w.line('sorry_server', s.address, s.port);
      if (s.inhibit) w.line('sorry_server_inhibit');
      if (s.method) w.line('sorry_server_lvs_method', s.method);
    }
    writeTiming(w, vs);
    vs.realServers.forEach((rs) => writeRealServer(w, rs));
  });
}

/**
 * The keepalived.conf `director` runs from `spec` (a spec that passed `parseClusterSpec`).
 *
 * @example
 * const { text } = exportKeepalivedConf(spec, 'lb1'); // -> "global_defs {\n    router_id lb1 ..."
 */
export function exportKeepalivedConf(spec: ClusterSpec, director: string, header?: string): ExportResult {
  if (!Object.hasOwn(spec.directors, director)) throw new UnknownDirectorError(director, Object.keys(spec.directors).sort());
  const w = new Writer();
  if (header) for (const l of header.split('\n')) w.lines.push(`# ${l}`);
  writeGlobal(w, spec, director);
  for (const [name, s] of Object.entries(spec.vrrpScripts)) {
    w.blank();
    w.block(`vrrp_script ${name}`, () => {
      w.line('script', w.quote(s.script, `vrrp_script ${name}`));
      if (s.intervalMs !== 1000) w.line('interval', seconds(s.intervalMs));
      if (s.timeoutMs !== undefined) w.line('timeout', seconds(s.timeoutMs));
      if (s.weight !== 0 || s.reverse) w.line(...weightWords(s.weight, s.reverse));
      if (s.rise !== 1) w.line('rise', s.rise);
      if (s.fall !== 1) w.line('fall', s.fall);
      if (s.user) w.line('user', ...s.user.split(':'));
      if (s.initFail) w.line('init_fail');
    });
  }
  for (const [name, f] of Object.entries(spec.trackFiles)) {
    w.blank();
    w.block(`track_file ${name}`, () => {
      w.line('file', f.file);
      if (f.weight !== 1 || f.reverse) w.line(...weightWords(f.weight, f.reverse));
      if (f.initFile) w.line('init_file', f.initFile.value, f.initFile.overwrite ? 'overwrite' : undefined);
    });
  }
  for (const [name, p] of Object.entries(spec.trackProcesses)) {
    w.blank();
    w.block(`vrrp_track_process ${name}`, () => {
      w.line('process', ...p.process.split(/\s+/));
      if (p.paramMatch) w.line('param_match', p.paramMatch);
      if (p.fullCommand) w.line('full_command');
      if (p.weight !== 0 || p.reverse) w.line(...weightWords(p.weight, p.reverse));
      if (p.quorum !== 1) w.line('quorum', p.quorum);
      if (p.quorumMax !== undefined) w.line('quorum_max', p.quorumMax);
      if (p.delayMs !== undefined) w.line('delay', seconds(p.delayMs));
      if (p.forkDelayMs !== undefined) w.line('fork_delay', seconds(p.forkDelayMs));
      if (p.terminateDelayMs !== undefined) w.line('terminate_delay', seconds(p.terminateDelayMs));
    });
  }
  const local = new Set<string>();
  for (const [name, inst] of Object.entries(spec.vrrpInstances)) {
    if (!instanceMembers(spec, inst).includes(director)) continue;
    local.add(name);
    w.blank();
    writeInstance(w, spec, name, inst, director);
  }
  for (const [name, g] of Object.entries(spec.syncGroups)) {
    const members = g.group.filter((i) => local.has(i));
    if (!members.length) continue;
    w.blank();
    writeSyncGroup(w, name, g, members);
  }
  for (const [name, g] of Object.entries(spec.virtualServerGroups)) {
    w.blank();
    w.block(`virtual_server_group ${name}`, () => {
      for (const m of g.members) {
        if ('fwmark' in m) w.line('fwmark', m.fwmark, m.family);
        else w.line(m.address, m.port);
      }
    });
  }
  for (const vs of spec.virtualServers) {
    w.blank();
    writeVirtualServer(w, vs);
  }
  return { text: `${w.lines.join('\n')}\n`, problems: w.problems };
}
