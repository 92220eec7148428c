/**
 * ldirectord.cf -> the LVS half of a cluster spec (virtual servers, real servers, checks). Pure.
 *
 * ldirectord's defaults are not keepalived's, so each is written out where they differ (a spec
 * left to keepalived's defaults would balance and check differently):
 *
 * | ldirectord                          | keepalived default     | written                          |
 * |-------------------------------------|------------------------|----------------------------------|
 * | scheduler wrr                       | wlc                    | lvs_sched wrr                    |
 * | quiescent yes (weight 0 on failure) | remove on failure      | inhibit_on_failure               |
 * | checkinterval 10 s                  | delay_loop 60 s        | delay_loop 10                    |
 * | negotiatetimeout 30 s               | connect_timeout 5 s    | connect_timeout 30 (negotiate)   |
 * | failurecount 1 (removed at once)    | retry 1                | retry failurecount-1, delay_before_retry checkinterval |
 * | protocol udp for port 53            | tcp                    | protocol UDP                     |
 *
 * checktype negotiate -> HTTP_GET/SSL_GET (request -> url path, receive -> regex), SMTP_CHECK,
 * DNS_CHECK; connect -> TCP_CHECK (PING_CHECK for UDP, as ldirectord); external -> MISC_CHECK
 * with ldirectord's four arguments (virtual IP, virtual port, real IP, real port); ping ->
 * PING_CHECK; fallback -> sorry_server; fallbackcommand -> quorum_down "... start" / quorum_up
 * "... stop"; persistent/netmask -> persistence_timeout/persistence_granularity. Service checks
 * keepalived has no checker for (mysql, pgsql, oracle, ldap, radius, ftp, imap, pop, nntp, sip,
 * http_proxy, simpletcp) become a connect check, reported at their line with the MISC_CHECK
 * script that would check the service itself.
 */
import { parseIp, type Checker } from '#schema';
import type { Location } from '../../keepalived/diagnostics.ts';
import type { Finding } from './findings.ts';
import { locationOf, readTextLines, unquote, type TextLine } from './text-lines.ts';

type Obj = Record<string, unknown>;
type SpecPath = (string | number)[];

export interface LdirectordResult {
  /** `{ virtualServers: [...] }` (defaults not applied). */
  spec: Obj;
  findings: Finding[];
  locate(path: SpecPath): Location | undefined;
}

const VIRTUAL_ONLY = new Set(['real', 'real6', 'service', 'scheduler', 'persistent', 'netmask', 'protocol', 'checktype', 'checkport', 'request', 'receive', 'virtualhost', 'login', 'passwd', 'database', 'secret', 'httpmethod', 'monitorfile', 'ops', 'checkcommand']);
const BOTH = new Set(['checktimeout', 'negotiatetimeout', 'connecttimeout', 'checkinterval', 'checkcount', 'failurecount', 'fallback', 'fallback6', 'fallbackcommand', 'quiescent', 'emailalert', 'emailalertfreq', 'emailalertstatus', 'emailalertfrom', 'smtp', 'cleanstop']);
const GLOBAL_ONLY = new Set(['autoreload', 'callback', 'logfile', 'execute', 'supervised', 'fork', 'maintenancedir', 'readdquiescent']);

/** ldirectord's service for a port when `service` is not given. */
const SERVICE_BY_PORT: Record<number, string> = {
  21: 'ftp', 25: 'smtp', 53: 'dns', 80: 'http', 110: 'pop', 119: 'nntp', 143: 'imap', 389: 'ldap', 443: 'https', 587: 'submission',
  993: 'imaps', 995: 'pops', 1521: 'oracle', 1812: 'radius', 3128: 'http_proxy', 3306: 'mysql', 5432: 'pgsql', 5060: 'sip',
};

/** The MISC_CHECK script that would check a service keepalived has no checker for. */
const SUGGESTED: Record<string, string> = {
  mysql: '/usr/bin/mysqladmin --connect-timeout=5 -h RIP -P PORT ping',
  pgsql: '/usr/bin/pg_isready -t 5 -h RIP -p PORT',
  oracle: '/usr/bin/tnsping RIP:PORT',
  ldap: '/usr/bin/ldapsearch -x -H ldap://RIP:PORT -b "" -s base',
  radius: '/usr/bin/radtest USER PASSWORD RIP:PORT 0 SECRET',
  ftp: '/usr/bin/curl -sf --max-time 5 ftp://RIP:PORT/',
  imap: '/usr/bin/curl -sf --max-time 5 imap://RIP:PORT/',
  imaps: '/usr/bin/curl -sf --max-time 5 imaps://RIP:PORT/',
  pop: '/usr/bin/curl -sf --max-time 5 pop3://RIP:PORT/',
  pops: '/usr/bin/curl -sf --max-time 5 pop3s://RIP:PORT/',
  nntp: '/bin/sh -c \'printf "QUIT\\r\\n" | nc -w 5 RIP PORT | grep -q "^20[01]"\'',
  sip: '/usr/bin/sipsak -s sip:ldirectord@RIP:PORT',
  http_proxy: '/usr/bin/curl -sf --max-time 5 -x http://RIP:PORT REQUEST',
  simpletcp: '/bin/sh -c \'printf "REQUEST" | nc -w 5 RIP PORT | grep -qE "RECEIVE"\'',
};

interface Section {
  at: TextLine;
  indent: number;
  kv: Map<string, { value: string; line: TextLine }>;
  reals: TextLine[];
}

/** `host:port` / `[v6]:port` / `fwmark` -> parts. */
function splitHostPort(text: string): { host: string; port?: number } | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, ...(v6[2] !== undefined && { port: Number(v6[2]) }) };
  const m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return undefined;
  return { host: m[1]!, ...(m[2] !== undefined && { port: Number(m[2]) }) };
}

const METHOD: Record<string, string> = { gate: 'DR', masq: 'NAT', ipip: 'TUN' };

/** "10.0.0.10->10.0.0.12" -> each address (IPv4 ranges on the last octet, at most 256). */
function expandRange(text: string): string[] | undefined {
  const [a, b] = text.split('->');
  if (!parseIp(a!)) return undefined;
  if (b === undefined) return [a!];
  const pa = parseIp(a!);
  const pb = parseIp(b);
  if (!pa || !pb || pa.family !== 'inet' || pb.family !== 'inet' || pa.bytes.slice(0, 3).join('.') !== pb.bytes.slice(0, 3).join('.') || pb.bytes[3]! < pa.bytes[3]!) return undefined;
  const out: string[] = [];
  for (let i = pa.bytes[3]!; i <= pb.bytes[3]!; i++) out.push(`${pa.bytes.slice(0, 3).join('.')}.${i}`);
  return out;
}

const seconds = (v: string | undefined) => (v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : undefined);
const yes = (v: string | undefined) => v !== undefined && /^(yes|on|1|true)$/i.test(v);

export function readLdirectord(input: { file: string; text: string }): LdirectordResult {
  const findings: Finding[] = [];
  const locations = new Map<string, Location>();
  const at = (path: SpecPath, l: Location) => locations.set(path.join('\u0000'), l);
  const note = (severity: Finding['severity'], code: string, l: Location, message: string, hint?: string) =>
    findings.push({ severity, code, message, ...(hint !== undefined && { hint }), locations: [l] });

  const read = readTextLines(input.text, input.file);
  if (read.error) note('error', 'io-error', { file: input.file, line: 1, column: 1 }, read.error);
  const global = new Map<string, { value: string; line: TextLine }>();
  const sections: Section[] = [];
  let current: Section | undefined;
  for (const l of read.lines) {
    const eq = l.text.indexOf('=');
    const key = eq > 0 ? l.text.slice(0, eq).trim().toLowerCase() : '';
    const value = eq > 0 ? unquote(l.text.slice(eq + 1).trim()) : '';
    if (!key || !/^[a-z0-9]+$/.test(key)) {
      note('warning', 'ldirectord-not-a-directive', locationOf(l), `"${l.text.slice(0, 60)}" is not an ldirectord "key = value" line; ignored`);
      continue;
    }
    if (key === 'virtual' || key === 'virtual6') {
      current = { at: l, indent: l.indent, kv: new Map(), reals: [] };
      sections.push(current);
      if (l.indent > 0) note('info', 'ldirectord-indent', locationOf(l), `${key}= is indented: ldirectord wants it at the start of the line; read as the start of a virtual service`);
      continue;
    }
    // A line belongs to the open virtual service when indented at least as deep as its
    // virtual= line (ldirectord: indented under it); a line at column 0 after it is global.
    const inSection = current !== undefined && l.indent > 0 && l.indent >= current.indent;
    if (VIRTUAL_ONLY.has(key)) {
      if (!current) {
        note('error', 'ldirectord-outside-virtual', locationOf(l), `${key}= belongs to a virtual service but comes before any virtual= line`);
        continue;
      }
      if (key === 'real' || key === 'real6') current.reals.push(l);
      else current.kv.set(key, { value, line: l });
    } else if (BOTH.has(key)) {
      (inSection ? current!.kv : global).set(key, { value, line: l });
    } else if (GLOBAL_ONLY.has(key)) {
      global.set(key, { value, line: l });
    } else {
      note('warning', 'unknown-keyword', locationOf(l), `unknown ldirectord directive "${key}"; ignored`);
    }
  }

  // Global-only directives: what they did and what replaces them.
  const ignored: Record<string, string> = {
    autoreload: 'the agent reloads when the control plane publishes a revision (or on SIGHUP)',
    callback: 'the control plane distributes the configuration to every director',
    logfile: 'the agent logs to the journal; real-server changes are events in the audit log',
    execute: 'one agent serves every virtual service',
    supervised: 'the agent runs under systemd',
    fork: 'checks always run in a worker thread, off the VRRP path',
    maintenancedir: 'use "vigil drain" (weight 0) or maintenance of a whole director instead',
    readdquiescent: 'inhibit_on_failure keeps failed real servers in the table with weight 0',
  };
  for (const [key, { line }] of global) {
    if (ignored[key]) note('info', 'ldirectord-no-equivalent', locationOf(line), `${key}: ${ignored[key]}`);
    if (/^(emailalert|emailalertfreq|emailalertstatus|emailalertfrom|smtp)$/.test(key)) {
      note('warning', 'ldirectord-no-equivalent', locationOf(line), `${key}: Vigil sends no e-mail`, 'real-server up/down events are in the audit log (vigil events --follow, GET /v1/events/stream); notify_up/notify_down can run a mail command');
    }
  }

  const virtualServers: Obj[] = [];
  for (const s of sections) {
    const get = (k: string) => s.kv.get(k) ?? global.get(k);
    const lineOf = (k: string) => get(k)?.line ?? s.at;
    const index = virtualServers.length;
    const path: SpecPath = ['virtualServers', index];
    const vsText = unquote(s.at.text.slice(s.at.text.indexOf('=') + 1).trim());
    const vs: Obj = {};
    at(path, locationOf(s.at));
    let vport = 0;
    let vip = '';
    if (/^\d+$/.test(vsText)) {
      vs.fwmark = Number(vsText);
      vip = vsText;
    } else {
      const hp = splitHostPort(vsText);
      if (!hp || !parseIp(hp.host)) {
        note('error', 'invalid-value', locationOf(s.at), `virtual=${vsText}: expected IP:port, [IPv6]:port or a firewall mark`, 'host and service names are not resolved on import: write the address and port');
        continue;
      }
      vs.address = hp.host;
      vs.port = hp.port ?? 0;
      vport = hp.port ?? 0;
      vip = hp.host;
    }
    // protocol: tcp | udp | fwm; ldirectord: udp for port 53, fwm for marks.
    const proto = get('protocol')?.value.toLowerCase() ?? (vs.fwmark !== undefined ? 'fwm' : vport === 53 ? 'udp' : 'tcp');
    if (proto === 'udp') vs.protocol = 'UDP';
    else if (proto === 'tcp') vs.protocol = 'TCP';
    else if (proto !== 'fwm') note('error', 'invalid-value', locationOf(lineOf('protocol')), `protocol=${proto}: expected tcp, udp or fwm`);
    if (proto === 'udp' && !get('protocol')) note('info', 'ldirectord-default', locationOf(s.at), 'port 53: protocol UDP (ldirectord\'s default for DNS)');
    vs.scheduler = get('scheduler')?.value ?? 'wrr';
    if (!get('scheduler')) note('info', 'ldirectord-default', locationOf(s.at), 'no scheduler: lvs_sched wrr (ldirectord\'s default; keepalived\'s is wlc)');
    const persistent = get('persistent');
    if (persistent) {
      const ms = seconds(persistent.value);
      if (ms) vs.persistenceTimeoutMs = ms;
      const mask = get('netmask');
      if (mask) vs.persistenceGranularity = /^\d+$/.test(mask.value) ? Number(mask.value) : mask.value;
    }
    if (yes(get('ops')?.value)) vs.schedulerFlags = ['ops'];
    const quiescent = get('quiescent');
    vs.inhibitOnFailure = quiescent ? yes(quiescent.value) : true;
    if (!quiescent) note('info', 'ldirectord-default', locationOf(s.at), 'quiescent (ldirectord\'s default yes): inhibit_on_failure, a failed real server stays with weight 0');
    const fallback = get('fallback') ?? get('fallback6');
    if (fallback) {
      const [addr, how] = fallback.value.split(/\s+/);
      const hp = splitHostPort(addr ?? '');
      if (hp && parseIp(hp.host)) {
        vs.sorryServer = { address: hp.host, ...(hp.port !== undefined && { port: hp.port }), ...(how && METHOD[how] && { method: METHOD[how] }) };
        at([...path, 'sorryServer'], locationOf(fallback.line));
      } else note('error', 'invalid-value', locationOf(fallback.line), `fallback=${fallback.value}: expected IP[:port] [gate|masq|ipip]`);
    }
    const fallbackCommand = get('fallbackcommand');
    if (fallbackCommand) {
      vs.quorumDown = `${fallbackCommand.value} start`;
      vs.quorumUp = `${fallbackCommand.value} stop`;
      vs.quorum = 1;
      note('info', 'ldirectord-mapped', locationOf(fallbackCommand.line), 'fallbackcommand: quorum_down "... start" when every real server is down, quorum_up "... stop" when one is back');
    }
    for (const k of ['emailalert', 'emailalertfreq', 'emailalertstatus', 'emailalertfrom', 'smtp'] as const) {
      const e = s.kv.get(k);
      if (e) note('warning', 'ldirectord-no-equivalent', locationOf(e.line), `${k}: Vigil sends no e-mail`, 'real-server up/down events are in the audit log (vigil events --follow, GET /v1/events/stream); notify_up/notify_down can run a mail command');
    }
    const monitor = get('monitorfile');
    if (monitor) note('info', 'ldirectord-no-equivalent', locationOf(monitor.line), 'monitorfile: every real-server change is an event in the audit log');

    // Timing and retries, ldirectord's defaults written out.
    const intervalMs = seconds(get('checkinterval')?.value) ?? 10_000;
    const failurecount = Number(get('failurecount')?.value ?? 1);
    const checktype = (get('checktype')?.value ?? 'negotiate').toLowerCase();
    const service = (get('service')?.value ?? SERVICE_BY_PORT[Number(get('checkport')?.value ?? vport)] ?? 'none').toLowerCase();
    const negotiateMs = seconds(get('negotiatetimeout')?.value) ?? seconds(get('connecttimeout')?.value) ?? 30_000;
    const checkMs = seconds(get('checktimeout')?.value) ?? seconds(get('negotiatetimeout')?.value) ?? 5000;
    const checkport = get('checkport') ? Number(get('checkport')!.value) : undefined;
    const request = get('request')?.value;
    const receive = get('receive')?.value;
    const virtualhost = get('virtualhost')?.value;
    if (get('httpmethod')?.value.toUpperCase() === 'HEAD') note('warning', 'ldirectord-no-equivalent', locationOf(lineOf('httpmethod')), 'httpmethod=HEAD: HTTP_GET always sends GET', 'the check still works; the real server answers a GET instead');
    if (get('checkcount')) note('info', 'ldirectord-mapped', locationOf(lineOf('checkcount')), 'checkcount (deprecated in ldirectord): read as failurecount');
    const failures = Math.max(1, Number(get('checkcount')?.value ?? NaN) || failurecount || 1);
    const timing: Obj = { delayLoopMs: intervalMs, retry: failures - 1, delayBeforeRetryMs: intervalMs };

    /** The checker for one real server (undefined = no check, always up). */
    const checkerFor = (rip: string, rport: number, rreq?: string, rrecv?: string): Checker | Obj | undefined => {
      const req = rreq ?? request;
      const recv = rrecv ?? receive;
      const net: Obj = { ...(checkport !== undefined && { connectPort: checkport }) };
      const connect = (): Obj => (proto === 'udp' ? { type: 'PING_CHECK', connectTimeoutMs: checkMs, ...timing } : { type: 'TCP_CHECK', connectTimeoutMs: checkMs, ...net, ...timing });
      const kind = /^\d+$/.test(checktype) ? 'negotiate' : checktype;
      switch (kind) {
        case 'on': return undefined;
        case 'off': return undefined;
        case 'ping': return { type: 'PING_CHECK', connectTimeoutMs: checkMs, ...timing };
        case 'connect': return connect();
        case 'external': case 'external-perl': {
          const cmd = get('checkcommand')?.value ?? '/bin/true';
          return { type: 'MISC_CHECK', miscPath: `${kind === 'external-perl' ? '/usr/bin/perl ' : ''}${cmd} ${vip} ${vport} ${rip} ${rport}`, miscTimeoutMs: checkMs, ...timing };
        }
        case 'negotiate': break;
        default: return connect();
      }
      switch (service) {
        case 'http': case 'https': {
          let path = req ?? '/';
          let host: string | undefined;
          const abs = /^https?:\/\/([^/]+)(\/.*)?$/.exec(path);
          if (abs) {
            host = abs[1];
            path = abs[2] ?? '/';
          } else if (!path.startsWith('/')) path = `/${path}`;
          const url: Obj = { path: path.replace(/\s/g, '%20') };
          if (recv) url.regex = recv;
          const vh = virtualhost ?? host;
          return { type: service === 'https' ? 'SSL_GET' : 'HTTP_GET', connectTimeoutMs: negotiateMs, ...net, ...timing, ...(vh && { virtualhost: vh }), urls: [url] };
        }
        case 'smtp': case 'submission':
          return { type: 'SMTP_CHECK', connectTimeoutMs: negotiateMs, ...net, ...timing };
        case 'dns':
          return { type: 'DNS_CHECK', connectTimeoutMs: negotiateMs, ...net, ...timing, queryType: 'A', ...(req && { name: req }) };
        case 'none':
          return undefined;
        default:
          return connect();
      }
    };

    // Check-type findings, once per virtual service.
    const ctLine = locationOf(lineOf('checktype'));
    if (checktype === 'off') note('warning', 'ldirectord-no-equivalent', ctLine, 'checktype=off (ldirectord activates no real server): the real servers are written with weight 0', 'set their weight when they should take traffic');
    else if (checktype === 'on') note('info', 'ldirectord-mapped', ctLine, 'checktype=on: no health check, the real servers are always up');
    else if (/^\d+$/.test(checktype)) note('info', 'ldirectord-mapped', ctLine, `checktype=${checktype} (negotiate every ${checktype}th check, connect otherwise): the negotiate check runs every time`);
    else if (checktype === 'external-perl') note('info', 'ldirectord-mapped', ctLine, 'checktype=external-perl: MISC_CHECK runs the script with perl (keepalived forks it)');
    else if (checktype === 'external') note('info', 'ldirectord-mapped', ctLine, 'checktype=external: MISC_CHECK with ldirectord\'s arguments (virtual IP, virtual port, real IP, real port) written out per real server');
    else if (checktype === 'negotiate' && SUGGESTED[service]) {
      note('warning', 'ldirectord-no-equivalent', locationOf(lineOf('service')), `service=${service}: keepalived has no ${service} checker; a connect check (${proto === 'udp' ? 'PING_CHECK' : 'TCP_CHECK'}) is written instead, which only proves the port answers`,
        `to check the service itself, replace it with MISC_CHECK { misc_path "${SUGGESTED[service]!.replace('REQUEST', request ?? '').replace('RECEIVE', receive ?? '')}" } (RIP/PORT: the real server)`);
    } else if (checktype === 'negotiate' && service === 'dns' && receive) {
      note('warning', 'ldirectord-no-equivalent', locationOf(lineOf('receive')), `receive=${receive}: DNS_CHECK checks that ${request ?? '.'} resolves, not the answer's value`, 'use MISC_CHECK with dig +short @RIP NAME | grep -qx ADDRESS to check the answer');
    } else if (checktype === 'negotiate' && service === 'none') {
      note('info', 'ldirectord-mapped', locationOf(s.at), 'service=none: the real servers are not checked (always up)');
    }
    if (!get('checkinterval')) note('info', 'ldirectord-default', locationOf(s.at), 'checkinterval (ldirectord\'s default 10 s): delay_loop 10 (keepalived\'s default is 60 s)');

    // Real servers.
    const realServers: Obj[] = [];
    const methods: string[] = [];
    for (const r of s.reals) {
      const words = r.text.slice(r.text.indexOf('=') + 1).trim().match(/"[^"]*"|\S+/g) ?? [];
      const [target, how, weightText, ...rest] = words.map((w) => w.replace(/,$/, '')).filter((w) => w !== '');
      const hp = splitHostPort(target ?? '');
      const ips = hp ? expandRange(hp.host) : undefined;
      if (!hp || !ips) {
        note('error', 'invalid-value', locationOf(r), `real=${target ?? ''}: expected IP[->IP][:port]`, 'host names are not resolved on import: write the address');
        continue;
      }
      const method = how ? METHOD[how] : undefined;
      if (how && !method) note('error', 'invalid-value', locationOf(r), `real=${target}: forwarding method "${how}" is none of gate, masq, ipip`);
      methods.push(method ?? 'DR');
      const reqRecv = rest.map(unquote);
      const weight = weightText !== undefined && /^\d+$/.test(weightText) ? Number(weightText) : 1;
      if (weightText !== undefined && !/^\d+$/.test(weightText)) reqRecv.unshift(unquote(weightText));
      for (const ip of ips) {
        const rs: Obj = { address: ip, ...(hp.port !== undefined && hp.port !== 0 && { port: hp.port }), weight: checktype === 'off' ? 0 : weight, method: method ?? 'DR' };
        const c = checkerFor(ip, hp.port ?? vport, reqRecv[0], reqRecv[1]);
        rs.checkers = c ? [c] : [];
        at([...path, 'realServers', realServers.length], locationOf(r));
        realServers.push(rs);
      }
    }
    if (!realServers.length) note('warning', 'ldirectord-no-real', locationOf(s.at), `virtual=${vsText} has no real= line`);
    // The virtual server's method is the one most real servers use; the others override it.
    const counts = new Map<string, number>();
    for (const m of methods) counts.set(m, (counts.get(m) ?? 0) + 1);
    const vsMethod = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'DR';
    vs.method = vsMethod;
    for (const rs of realServers) if (rs.method === vsMethod) delete rs.method;
    vs.realServers = realServers;
    virtualServers.push(vs);
    note('info', 'ldirectord-mapped', locationOf(s.at), `virtual=${vsText}: virtual_server ${vip}${vs.fwmark === undefined ? ` ${vport}` : ''} (${String(vs.scheduler)}, ${vsMethod}), ${realServers.length} real server(s), checked every ${intervalMs / 1000} s, removed after ${failures} failure(s)`);
  }
  if (!sections.length) note('warning', 'ldirectord-no-virtual', { file: input.file, line: 1, column: 1 }, 'no virtual= line found');

  const locate = (path: SpecPath): Location | undefined => {
    for (let n = path.length; n > 0; n--) {
      const l = locations.get(path.slice(0, n).join('\u0000'));
      if (l) return l;
    }
    return undefined;
  };
  return { spec: { virtualServers }, findings, locate };
}
