/**
 * Heartbeat v1 (`ha.cf`, `haresources`, `authkeys`) -> the VRRP half of a cluster spec. Pure.
 *
 * The three files are told apart line by line, so the one file articles print them in (and the
 * three real files, given one by one or concatenated) all read the same:
 * - a line starting with an ha.cf directive (`node`, `keepalive`, `bcast`, ...) is ha.cf;
 * - `auth N` and `N crc|md5|sha1 [secret]` are authkeys;
 * - `NODE RESOURCE...` is a haresources line (NODE is a `node` of ha.cf, or a resource names an
 *   address when there is no ha.cf);
 * - anything else (a shell prompt copied with the file, `vim /etc/ha.d/ha.cf`) is reported and
 *   ignored.
 *
 * Mapping (each is also said as a finding at its line):
 * - every `node` is a director; each haresources line is one VRRP instance whose preferred node
 *   (the line's first word) has priority 150 and the others 100, 99, ...;
 * - `IPaddr::IP/len/IF[/brd]`, `IPaddr2::...` and bare addresses are the instance's VIPs;
 * - other resources are started in order on becoming MASTER and stopped in reverse order on
 *   BACKUP/FAULT/stop (notify hooks), as Heartbeat runs them: `/etc/ha.d/resource.d/NAME` for
 *   Heartbeat's own resource agents, `/etc/init.d/NAME` for the rest, `::` arguments first;
 * - `auto_failback on|off` -> preempt / nopreempt; `keepalive` -> advert_int; `initdead` ->
 *   vrrp_startup_delay; `bcast|mcast|ucast IF` -> the instance interface (ucast peers -> unicast);
 * - `ping` nodes -> a vrrp_script pinging them, tracked with a negative weight larger than the
 *   priority gap, so the node that lost the network yields (what ipfail did);
 * - `deadtime`, `warntime`, `udpport`, `apiauth`, `respawn` and the authkeys have no VRRP
 *   counterpart: reported with what VRRP does instead.
 */
import { parseIp, parseIpPrefix } from '#schema';
import type { Location } from '../../keepalived/diagnostics.ts';
import type { Finding } from './findings.ts';
import { toResourceName } from './keepalived.ts';
import { locationOf, readTextLines, type TextLine } from './text-lines.ts';

type Obj = Record<string, unknown>;
type SpecPath = (string | number)[];

export interface HeartbeatOptions {
  /** VRID of the first instance (the next get +1 each); default 51. */
  vrid?: number;
  /** Interface when neither haresources nor ha.cf name one. */
  interface?: string;
}

export interface HeartbeatResult {
  /** A cluster spec with directors, instances and scripts (defaults not applied). */
  spec: Obj;
  directors: string[];
  findings: Finding[];
  locate(path: SpecPath): Location | undefined;
}

const HA_CF = new Set([
  'node', 'keepalive', 'deadtime', 'warntime', 'initdead', 'udpport', 'bcast', 'mcast', 'ucast', 'auto_failback', 'ping', 'ping_group',
  'respawn', 'apiauth', 'logfile', 'debugfile', 'logfacility', 'crm', 'use_logd', 'compression', 'compression_threshold', 'baud',
  'serial', 'watchdog', 'stonith', 'stonith_host', 'hopfudge', 'deadping', 'realtime', 'debug', 'autojoin', 'coredumps',
  'traditional_compression', 'msgfmt', 'conn_logd_time', 'max_rexmit_delay', 'log_badpack', 'uuidfrom', 'hbgenmethod', 'nice_failback',
  'pacemaker', 'cluster', 'ttl', 'rtprio', 'ucast_group', 'generation', 'memreserve', 'syslogmsgfmt', 'record_config_changes',
]);

/** Heartbeat's own resource agents (in /etc/ha.d/resource.d); anything else is an init script. */
const RESOURCE_D = new Set([
  'Filesystem', 'drbddisk', 'IPaddr', 'IPaddr2', 'IPsrcaddr', 'IPv6addr', 'MailTo', 'SendArp', 'Delay', 'AudibleAlarm', 'WAS',
  'WinPopup', 'Xinetd', 'apache', 'db2', 'ids', 'portblock', 'LVSSyncDaemonSwap', 'ICP', 'LinuxSCSI', 'OCF', 'Raid1', 'ServeRAID', 'hto-mapfuncs',
]);

/** Heartbeat times: `2`, `500ms`, `2s`, `1min` -> ms. */
function durationMs(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|sec|min|m)?$/.exec(text ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'min' || unit === 'm' ? n * 60_000 : n * 1000);
}

/** A word that can only be a shell-safe argument inside single quotes. */
const shellSafe = (s: string) => !/['\n]/.test(s);

export function readHeartbeat(inputs: { file: string; text: string }[], options: HeartbeatOptions = {}): HeartbeatResult {
  const findings: Finding[] = [];
  const locations = new Map<string, Location>();
  const at = (path: SpecPath, l: Location) => locations.set(path.join('\u0000'), l);
  const note = (severity: Finding['severity'], code: string, l: Location, message: string, hint?: string) =>
    findings.push({ severity, code, message, ...(hint !== undefined && { hint }), locations: [l] });

  const lines: TextLine[] = [];
  for (const input of inputs) {
    const r = readTextLines(input.text, input.file);
    if (r.error) note('error', 'io-error', { file: input.file, line: 1, column: 1 }, r.error);
    lines.push(...r.lines);
  }

  // Pass 1: the ha.cf node list (haresources lines are recognised by it).
  const nodes: { name: string; at: Location }[] = [];
  for (const l of lines) {
    if (l.words[0]?.text !== 'node') continue;
    for (const w of l.words.slice(1)) if (!nodes.some((n) => n.name === w.text)) nodes.push({ name: w.text, at: locationOf(l, w.column) });
  }
  const isIpResource = (w: string) => /^IPaddr2?::/.test(w) || parseIpPrefix(w.split('/')[0]!) !== undefined;

  const ha: Record<string, TextLine[]> = {};
  const resources: TextLine[] = [];
  let authMethod: { method: string; at: Location } | undefined;
  for (const l of lines) {
    const first = l.words[0]!.text;
    if (HA_CF.has(first)) (ha[first] ??= []).push(l);
    else if (first === 'auth' && /^\d+$/.test(l.words[1]?.text ?? '')) continue;
    else if (/^\d+$/.test(first) && /^(crc|md5|sha1)$/.test(l.words[1]?.text ?? '')) authMethod = { method: l.words[1]!.text, at: locationOf(l) };
    else if (l.words.length >= 2 && (nodes.length ? nodes.some((n) => n.name === first) : l.words.slice(1).some((w) => isIpResource(w.text)))) resources.push(l);
    else note('warning', 'heartbeat-not-a-directive', locationOf(l), `"${l.text.slice(0, 60)}" is not a line of ha.cf, haresources or authkeys; ignored`, 'a shell command or a note copied with the file? remove it');
  }

  // Directors: ha.cf nodes, else the preferred nodes of haresources.
  if (!nodes.length) {
    for (const r of resources) if (!nodes.some((n) => n.name === r.words[0]!.text)) nodes.push({ name: r.words[0]!.text, at: locationOf(r) });
    if (nodes.length < 2) {
      note('warning', 'heartbeat-one-node', nodes[0]?.at ?? { file: inputs[0]?.file ?? '-', line: 1, column: 1 }, `only ${nodes.length} node(s) known`, 'give ha.cf too (its "node" lines name every director): vigil import --ldirectord ldirectord.cf --haresources haresources --ha-cf ha.cf');
    }
  }
  const firstLabels = nodes.map((n) => toResourceName(n.name.split('.')[0]!));
  const directors: string[] = nodes.map((n, i) => {
    const label = firstLabels[i];
    const unique = label && firstLabels.filter((x) => x === label).length === 1;
    const name = (unique ? label : toResourceName(n.name)) ?? `node-${i + 1}`;
    if (name !== n.name) note('info', 'import-director-name', n.at, `node ${n.name} is director "${name}"`, 'control-plane names are DNS labels; install the agent on that host with --director ' + name);
    return name;
  });
  const directorOf = new Map(nodes.map((n, i) => [n.name, directors[i]!]));
  const spec: Obj = { version: 1, global: {}, directors: Object.fromEntries(directors.map((d) => [d, {}])), vrrpScripts: {}, vrrpInstances: {} };
  nodes.forEach((n, i) => at(['directors', directors[i]!], n.at));
  const global = spec.global as Obj;

  // ha.cf settings.
  const one = (k: string) => ha[k]?.at(-1);
  let preempt = true;
  const failback = one('auto_failback');
  if (failback) {
    const v = failback.words[1]?.text;
    preempt = v !== 'off';
    note('info', 'heartbeat-mapped', locationOf(failback), v === 'off' ? 'auto_failback off: nopreempt (with start state BACKUP everywhere)' : `auto_failback ${v ?? 'on'}: preempt (the preferred node takes its resources back)`);
  }
  const keepalive = one('keepalive');
  let advertMs: number | undefined;
  let version: 2 | 3 | undefined;
  if (keepalive) {
    const ms = durationMs(keepalive.words[1]?.text);
    if (ms === undefined || ms < 10) note('error', 'invalid-value', locationOf(keepalive), `keepalive ${keepalive.words[1]?.text ?? ''}: expected a time like 2 or 500ms`);
    else if (ms % 1000 === 0 && ms <= 255_000) {
      advertMs = ms;
      note('info', 'heartbeat-mapped', locationOf(keepalive), `keepalive ${ms / 1000} s: advert_int ${ms / 1000}`);
    } else {
      advertMs = Math.min(40_950, Math.max(10, Math.round(ms / 10) * 10));
      version = 3;
      note('info', 'heartbeat-mapped', locationOf(keepalive), `keepalive ${keepalive.words[1]!.text}: advert_int ${advertMs / 1000} with VRRPv3 (VRRPv2 counts whole seconds)`);
    }
  }
  const deadtime = one('deadtime');
  if (deadtime) {
    const adv = (advertMs ?? 1000) / 1000;
    note('info', 'heartbeat-no-equivalent', locationOf(deadtime), `deadtime ${deadtime.words[1]?.text ?? ''}: VRRP declares the master dead after 3 adverts plus a skew (about ${(3 * adv + 0.4).toFixed(1)} s at advert_int ${adv}); there is no separate dead time`, 'raise advert_int (or vrrp_down_timer_adverts) for a slower failover');
  }
  for (const k of ['warntime', 'udpport', 'apiauth', 'logfile', 'debugfile', 'logfacility', 'crm', 'use_logd', 'compression', 'baud', 'serial', 'watchdog', 'stonith', 'stonith_host', 'hopfudge', 'deadping', 'realtime', 'debug', 'autojoin', 'coredumps']) {
    for (const l of ha[k] ?? []) {
      const why: Record<string, string> = {
        warntime: 'the audit log records every late or missing advert instead (vigil events)',
        udpport: 'VRRP is IP protocol 112, not UDP: allow protocol 112 (vrrp) in the firewall between the directors',
        apiauth: 'no Heartbeat API clients: ipfail is replaced by the ping track_script',
        stonith: 'VRRP has no fencing: split brain is detected and logged by the control plane (vrrp.split_brain)',
        stonith_host: 'VRRP has no fencing: split brain is detected and logged by the control plane (vrrp.split_brain)',
      };
      note('info', 'heartbeat-no-equivalent', locationOf(l), `${k}: ${why[k] ?? 'no VRRP counterpart; ignored'}`);
    }
  }
  const initdead = one('initdead');
  if (initdead) {
    const ms = durationMs(initdead.words[1]?.text);
    if (ms !== undefined) {
      global.startupDelayMs = ms;
      at(['global', 'startupDelayMs'], locationOf(initdead));
      note('info', 'heartbeat-mapped', locationOf(initdead), `initdead ${ms / 1000} s: vrrp_startup_delay ${ms / 1000} (no election before that after the agent starts)`);
    }
  }
  let iface: string | undefined = options.interface;
  const unicastPeers: string[] = [];
  for (const k of ['bcast', 'mcast', 'ucast'] as const) {
    for (const l of ha[k] ?? []) {
      const dev = l.words[1]?.text;
      if (!dev) continue;
      iface ??= dev;
      if (k === 'ucast' && l.words[2] && parseIp(l.words[2].text)) unicastPeers.push(l.words[2].text);
      note('info', 'heartbeat-mapped', locationOf(l), k === 'ucast'
        ? `ucast ${dev} ${l.words[2]?.text ?? ''}: unicast VRRP to that peer on ${dev}`
        : `${k} ${dev}: VRRP adverts on ${dev} (multicast 224.0.0.18, IP protocol 112)`);
    }
  }
  if (unicastPeers.length) {
    note('warning', 'heartbeat-unicast', locationOf(ha.ucast![0]!), 'ucast names peers but not which node owns which address', 'set each director\'s unicastSrcIp in the spec (directors.<name>.unicastSrcIp) so every peer is a member');
  }
  for (const l of ha.respawn ?? []) {
    if (/ipfail/.test(l.text)) note('info', 'heartbeat-mapped', locationOf(l), 'respawn ipfail: replaced by the ping track_script (a director that loses the ping nodes yields)');
    else note('warning', 'heartbeat-no-equivalent', locationOf(l), `respawn ${l.words.slice(1).map((w) => w.text).join(' ')}: Vigil does not supervise other processes`, 'run it as a systemd service (Restart=always), or track it with vrrp_track_process');
  }
  if (authMethod) {
    note('info', 'heartbeat-no-equivalent', authMethod.at, authMethod.method === 'crc'
      ? 'authkeys crc: no authentication (crc only detects corruption); VRRP checks the sender is on-link (TTL 255) and the control plane detects strangers'
      : `authkeys ${authMethod.method}: VRRPv2 authentication is a clear-text password (RFC 3768 removed it); not carried over`, 'keep the VRRP segment private; add authentication { auth_type PASS } only to interoperate with keepalived peers that use it');
  }

  // Ping nodes -> one vrrp_script.
  const pingTargets: { ip: string; at: Location }[] = [];
  for (const l of [...(ha.ping ?? []), ...(ha.ping_group ?? [])]) {
    for (const w of l.words.slice(l.words[0]!.text === 'ping_group' ? 2 : 1)) if (parseIp(w.text)) pingTargets.push({ ip: w.text, at: locationOf(l, w.column) });
  }
  const gap = Math.max(0, 150 - (100 - Math.max(0, directors.length - 2))) + 10;
  if (pingTargets.length) {
    const cmd = pingTargets.map((p) => `/bin/ping -c 1 -W 1 ${p.ip}`).join(' || ');
    (spec.vrrpScripts as Obj).chk_ping_nodes = { script: pingTargets.length === 1 ? cmd : `/bin/sh -c '${cmd}'`, intervalMs: (advertMs ?? 1000) * 2, fall: 3, rise: 2, weight: -gap };
    at(['vrrpScripts', 'chk_ping_nodes'], pingTargets[0]!.at);
    note('info', 'heartbeat-mapped', pingTargets[0]!.at, `ping ${pingTargets.map((p) => p.ip).join(' ')}: vrrp_script chk_ping_nodes (weight -${gap}: a director that cannot reach them drops below its peer)`);
  }

  // haresources -> instances.
  const baseVrid = options.vrid ?? 51;
  resources.forEach((r, k) => {
    const name = `VI_${k + 1}`;
    const path = ['vrrpInstances', name];
    const preferred = directorOf.get(r.words[0]!.text) ?? toResourceName(r.words[0]!.text) ?? directors[0]!;
    const vips: Obj[] = [];
    const hooks: { start: string; stop: string }[] = [];
    let lineIface: string | undefined;
    for (const w of r.words.slice(1)) {
      const [kind, ...args] = w.text.split('::');
      const loc = locationOf(r, w.column);
      if (kind === 'IPaddr' || kind === 'IPaddr2' || (args.length === 0 && parseIpPrefix(kind!.split('/')[0]!))) {
        const parts = (args.length ? args[0]! : kind!).split('/');
        const ip = parts[0]!;
        if (!parseIp(ip)) {
          note('error', 'invalid-value', loc, `${w.text}: "${ip}" is not an IP address`);
          continue;
        }
        // IPaddr::IP/len/IF/brd; a dotted netmask is allowed for the length.
        let len = parts[1];
        if (len && parseIp(len)) len = String(len.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0));
        const v: Obj = { address: len ? `${ip}/${len}` : ip };
        if (parts[2]) lineIface ??= parts[2];
        if (parts[2] && parts[2] !== (lineIface ?? iface)) v.dev = parts[2];
        if (parts[3] && parseIp(parts[3])) v.brd = parts[3];
        at([...path, 'virtualIpAddresses', vips.length], loc);
        vips.push(v);
        note('info', 'heartbeat-mapped', loc, `${w.text}: VIP ${String(v.address)}${parts[2] ? ` on ${parts[2]}` : ''}`);
        continue;
      }
      if (kind === 'ldirectord') {
        note('info', 'heartbeat-mapped', loc, `${w.text}: replaced by the agent's own load balancer (IPVS) on every director`, 'import ldirectord.cf with it: vigil import --ldirectord ldirectord.cf --haresources haresources');
        continue;
      }
      if (kind === 'LVSSyncDaemonSwap') {
        note('warning', 'heartbeat-no-equivalent', loc, `${w.text}: set global_defs lvs_sync_daemon in the spec (global.lvsSyncDaemon) to sync connections to the backup`);
        continue;
      }
      if (!kind || !/^[A-Za-z0-9_.@+-]+$/.test(kind) || !args.every(shellSafe)) {
        note('error', 'invalid-value', loc, `${w.text}: not a resource name Vigil can run`, 'write the start/stop commands as notify_master/notify_backup in the spec');
        continue;
      }
      const script = RESOURCE_D.has(kind) ? `/etc/ha.d/resource.d/${kind}` : `/etc/init.d/${kind}`;
      const argText = args.length ? ` ${args.join(' ')}` : '';
      hooks.push({ start: `${script}${argText} start`, stop: `${script}${argText} stop` });
      note('info', 'heartbeat-mapped', loc, `${w.text}: "${script}${argText} start" on becoming MASTER, "... stop" on BACKUP, FAULT and stop`);
    }
    const instIface = lineIface ?? iface;
    if (!instIface) note('error', 'heartbeat-no-interface', locationOf(r), `${name}: no interface (neither IPaddr::IP/len/IF, nor bcast/mcast/ucast in ha.cf)`, 'give --interface IF');
    const inst: Obj = { virtualRouterId: baseVrid + k, virtualIpAddresses: vips };
    if (instIface) inst.interface = instIface;
    if (advertMs !== undefined) inst.advertIntervalMs = advertMs;
    if (version !== undefined) inst.version = version;
    if (!preempt) inst.nopreempt = true;
    if (unicastPeers.length) inst.unicastPeers = unicastPeers.map((address) => ({ address }));
    if (pingTargets.length) inst.trackScripts = [{ name: 'chk_ping_nodes' }];
    if (hooks.length) {
      const seq = (cmds: string[], join: string) => (cmds.length === 1 ? cmds[0]! : `/bin/sh -c '${cmds.join(join)}'`);
      // Start in order and stop at the first failure (Heartbeat gives up the takeover then);
      // stop in reverse order, every one of them.
      const stop = seq(hooks.map((h) => h.stop).reverse(), '; ');
      inst.notify = { master: seq(hooks.map((h) => h.start), ' && '), backup: stop, fault: stop, stop };
    }
    // The first director's values cluster-wide, the others' as overrides (the form vigil import
    // gives a merged keepalived pair, so the spec exports and imports back unchanged).
    let p = 100;
    const values = directors.map((d) => ({ d, priority: d === preferred ? 150 : p--, state: d === preferred && preempt ? 'MASTER' : 'BACKUP' }));
    const overrides: Obj = {};
    if (values[0]) {
      inst.priority = values[0].priority;
      inst.state = values[0].state;
    }
    for (const v of values.slice(1)) {
      const o: Obj = {};
      if (v.priority !== values[0]!.priority) o.priority = v.priority;
      if (v.state !== values[0]!.state) o.state = v.state;
      if (Object.keys(o).length) overrides[v.d] = o;
    }
    if (Object.keys(overrides).length) inst.directors = overrides;
    (spec.vrrpInstances as Obj)[name] = inst;
    at(path, locationOf(r));
    note('info', 'heartbeat-mapped', locationOf(r), `${name} (virtual_router_id ${baseVrid + k}): ${preferred} preferred (priority 150), ${directors.filter((d) => d !== preferred).join(', ') || 'no other node'} backup`,
      k === 0 && options.vrid === undefined ? 'Heartbeat has no VRID: 51 is a guess; vigil plan/apply checks it is unique on the segment, or give --vrid N' : undefined);
  });
  if (!resources.length) note('warning', 'heartbeat-no-resources', { file: inputs[0]?.file ?? '-', line: 1, column: 1 }, 'no haresources line found: the cluster spec has no VRRP instance', 'give the haresources file: --haresources FILE');

  const locate = (path: SpecPath): Location | undefined => {
    for (let n = path.length; n > 0; n--) {
      const l = locations.get(path.slice(0, n).join('\u0000'));
      if (l) return l;
    }
    return undefined;
  };
  return { spec, directors, findings, locate };
}
