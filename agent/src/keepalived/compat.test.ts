/**
 * keepalived.conf compatibility (issue 12), one test per class, each on a config written for it
 * in test/fixtures/keepalived-compat/ (the same files the differential test runs through
 * `keepalived -t`, test/net/keepalived-differential.test.ts). Every case checks what `vigil
 * check` says (severity:code:line) AND what Vigil would run: the cluster spec, the director's
 * resolved config, or the runtime's socket plan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { effectiveCheckTiming } from '../checks/timing.ts';
import { checkFile } from '../cli/check.ts';
import { planInstance } from '../runtime/plan.ts';
import { convertToSpec } from './convert.ts';
import type { Diagnostic } from './diagnostics.ts';
import { memoryConfigFs } from './fs.ts';
import { parseKeepalivedConf } from './parser.ts';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'keepalived-compat');
const path = (f: string) => resolve(DIR, f);

/** `S:code:line` for every diagnostic but `unsupported` keywords. */
const brief = (ds: Diagnostic[]) => ds.filter((d) => d.code !== 'unsupported').map((d) => `${d.severity[0]!.toUpperCase()}:${d.code}:${d.line}`);
const check = (f: string, configId = 'lb1') => checkFile(path(f), { configId });

/** The spec and the director's resolved config Vigil would run from a fixture. */
function run(f: string, configId = 'lb1') {
  const parsed = parseKeepalivedConf({ path: path(f) }, { configId });
  const converted = convertToSpec(parsed.tree, { file: path(f) });
  if (!converted.validSpec) throw new Error(`${f}: no valid spec: ${JSON.stringify(converted.diagnostics)}`);
  return { spec: converted.validSpec, config: resolveDirectorConfig(converted.validSpec, converted.director), director: converted.director };
}

describe('refused although keepalived runs it', () => {
  it('auth_pass longer than 8: a warning on the auth_pass line, the first 8 characters are sent', () => {
    const r = check('auth-pass-long.conf');
    expect(brief(r.diagnostics)).toEqual(['W:keepalived-differs:12']);
    expect(r.diagnostics[0]).toMatchObject({ column: 19 });
    expect(r.diagnostics[0]!.message).toContain('"s3cr3tpa"');
    expect(r.valid).toBe(true);
    expect(run('auth-pass-long.conf').config.instances.VI_AUTH!.auth).toEqual({ type: 'PASS', password: 's3cr3tpa' });
  });

  it('an address with a prefix length where keepalived wants an address: the prefix is dropped, as keepalived does', () => {
    const r = check('address-prefix.conf');
    expect(brief(r.diagnostics)).toEqual(['I:keepalived-differs:10', 'I:keepalived-differs:12', 'I:keepalived-differs:22', 'I:keepalived-differs:23']);
    expect(r.valid).toBe(true);
    const { config } = run('address-prefix.conf');
    expect(config.instances.VI_PREFIX!.transport).toMatchObject({ kind: 'unicast', srcIp: '192.0.2.2', peers: [{ address: '192.0.2.3' }] });
    const vs = run('address-prefix.conf').spec.virtualServers[0]!;
    expect(vs.sorryServer?.address).toBe('192.0.2.30');
    expect(vs.realServers[0]!.address).toBe('192.0.2.31');
  });

  it('port 0 on real_server/sorry_server is "no port" (firewall-mark services)', () => {
    const r = check('fwmark-port0.conf');
    expect(brief(r.diagnostics)).toEqual([]);
    const vs = run('fwmark-port0.conf').spec.virtualServers[0]!;
    expect(vs.fwmark).toBe(63);
    expect(vs.sorryServer).toMatchObject({ address: '192.0.2.40' });
    expect(vs.sorryServer!.port).toBeUndefined();
    expect(vs.realServers.map((rs) => [rs.address, rs.port, rs.weight])).toEqual([['192.0.2.41', undefined, 1], ['192.0.2.42', undefined, 2]]);
  });

  it('lvs_method TUN with type/port/checksum options is accepted and run', () => {
    expect(brief(check('lvs-tun-options.conf').diagnostics)).toEqual(['I:deprecated:28']);
    const [web, tls] = run('lvs-tun-options.conf').spec.virtualServers;
    expect(web).toMatchObject({ method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } });
    expect(web!.realServers.map((rs) => [rs.method, rs.tunnel])).toEqual([['TUN', { type: 'gre', checksum: 'csum' }], ['TUN', { type: 'ipip', checksum: 'nocsum' }]]);
    expect(tls).toMatchObject({ method: 'TUN' });
  });

  it('tunnel options keepalived rejects are errors on their lines, as keepalived -t reports them', () => {
    const r = check('lvs-tun-invalid.conf');
    expect(brief(r.diagnostics)).toEqual(['E:invalid-value:6', 'E:invalid-value:9', 'E:invalid-value:12', 'E:invalid-value:15', 'E:invalid-value:18']);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('needs "port N"'),
      expect.stringContaining('"port" only goes with "type gue"'),
      expect.stringContaining('ipip tunnels take no checksum'),
      expect.stringContaining('remcsum'),
      expect.stringContaining('Invalid tunnel option'),
    ]);
  });

  it('default6 in virtual_routes is the IPv6 default route; "inet6 default" is refused as keepalived 2.2.7 refuses it', () => {
    expect(brief(check('routes-default6.conf').diagnostics)).toEqual(['I:deprecated:13']);
    expect(run('routes-default6.conf').config.instances.VI_ROUTES!.virtualRoutes).toEqual([
      expect.objectContaining({ to: '::/0', via: '2001:db8:66::fe', dev: 'eth0' }),
      expect.objectContaining({ to: '2001:db8:67::/64', via: '2001:db8:66::fd', dev: 'eth0', metric: 200 }),
    ]);
    const inet6 = check('routes-inet6.conf');
    expect(brief(inet6.diagnostics)).toEqual(['E:invalid-value:13']);
    expect(inet6.diagnostics[0]!.message).toContain('skips the word after "inet6"');
  });

  it('a plain include of a missing file is a warning; includem of one is an error', () => {
    const plain = check('include-missing.conf');
    expect(brief(plain.diagnostics)).toEqual(['W:include-missing:4']);
    expect(plain.valid).toBe(true);
    const checked = check('includem-missing.conf');
    expect(brief(checked.diagnostics)).toEqual(['E:include-missing:3']);
  });
});

describe("keepalived's configuration language", () => {
  it('one file, two directors: @id lines, $NAME and ${NAME}, a multi-line definition, ~SEQ, ~LST, ${_INSTANCE} and ${_PWD}', () => {
    expect(brief(check('params.conf', 'lb1').diagnostics)).toEqual([]);
    expect(brief(check('params.conf', 'lb2').diagnostics)).toEqual([]);
    const lb1 = run('params.conf', 'lb1');
    const lb2 = run('params.conf', 'lb2');
    expect([lb1.director, lb2.director]).toEqual(['lb1', 'lb2']);
    const summary = (c: typeof lb1.config) =>
      Object.entries(c.instances).map(([name, i]) => [name, i.virtualRouterId, i.priority, i.interface, i.virtualIpAddresses.map((v) => [v.address, v.dev, v.label].filter(Boolean).join(' '))]);
    expect(summary(lb1.config)).toEqual([
      ['VI_70', 70, 150, 'eth0', ['192.0.2.70/24']],
      ['VI_71', 71, 150, 'eth0', ['192.0.2.71/24']],
      ['VI_SEQ', 72, 150, 'eth0', ['192.0.2.10/24', '192.0.2.20/24', '192.0.2.30/24', '192.0.2.91/32 eth0 eth0:1', '192.0.2.92/32 eth1 eth1:2']],
    ]);
    expect(summary(lb2.config).map((s) => s[2])).toEqual([100, 100, 100]);
    expect(lb1.spec.vrrpScripts).toEqual({ chk_lb1: expect.objectContaining({ script: `${DIR}/check.sh lb1` }) });
    expect(Object.keys(lb2.spec.vrrpScripts)).toEqual(['chk_lb2']);
  });

  it('a bad value that came from a parameter is reported where it is used, naming where it was defined', () => {
    const d = check('params-bad-value.conf').diagnostics;
    expect(brief(d)).toEqual(['E:invalid-value:8']);
    expect(d[0]!.message).toContain(`$PRIO is defined at ${path('params-bad-value.conf')}:3`);
  });

  it('an undefined parameter is named as such, not reported as a strange interface name', () => {
    const d = check('params-undefined.conf').diagnostics;
    expect(brief(d)).toEqual(['E:spec-invalid:4']);
    expect(d[0]!.message).toMatch(/^\$IF is not a defined parameter \(keepalived keeps "\$IF" as written, and so does Vigil\): /);
    expect(d[0]!.hint).toContain('$IF=VALUE');
  });
});

describe('run differently (now as keepalived runs it, with a warning)', () => {
  it('nb_get_retry in TCP_CHECK is ignored (retry keeps its default); in HTTP_GET it is retry', () => {
    expect(brief(check('nb-get-retry.conf').diagnostics)).toEqual(['W:deprecated:21', 'W:deprecated:30']);
    const vs = run('nb-get-retry.conf').spec.virtualServers[0]!;
    const [tcp, http] = vs.realServers.map((rs) => effectiveCheckTiming(vs, rs, rs.checkers[0]!).retry);
    expect([tcp, http]).toEqual([1, 3]);
  });

  it('lb_kind dr (lower case) is not understood by keepalived: NAT, with a warning', () => {
    const r = check('lb-kind-lowercase.conf');
    expect(brief(r.diagnostics)).toEqual(['I:deprecated:15', 'W:keepalived-differs:15']);
    expect(run('lb-kind-lowercase.conf').spec.virtualServers[0]!.method).toBe('NAT');
  });

  it('a duplicated notify_master keeps the first, as keepalived does', () => {
    expect(brief(check('notify-duplicate.conf').diagnostics)).toEqual(['W:keepalived-differs:13']);
    expect(run('notify-duplicate.conf').config.instances.VI_NOTIFY!.notify?.master).toBe('/usr/local/bin/became-master first');
  });

  it('a virtual server without protocol is UDP, as keepalived 2.2.7 makes it', () => {
    expect(brief(check('vs-no-protocol.conf').diagnostics)).toEqual(['W:keepalived-differs:13']);
    expect(run('vs-no-protocol.conf').spec.virtualServers[0]!.protocol).toBe('UDP');
  });

  it('state and auth_type are case-sensitive: "state master" starts as BACKUP, "auth_type pass" sends no authentication', () => {
    expect(brief(check('state-lowercase.conf').diagnostics)).toEqual(['W:invalid-value:6', 'W:missing-keyword:10', 'W:keepalived-differs:11']);
    const inst = run('state-lowercase.conf').config.instances.VI_STATE!;
    expect(inst.state).toBe('BACKUP');
    expect(inst.auth).toBeUndefined();
  });

  it('a second vrrp_instance with the same name is skipped: the first one runs', () => {
    expect(brief(check('instance-duplicate.conf').diagnostics)).toEqual(['W:duplicate:13']);
    expect(run('instance-duplicate.conf').config.instances.VI_DUP).toMatchObject({ virtualRouterId: 80, priority: 150 });
  });
});

describe('warnings keepalived gives', () => {
  it('vrrp_garp_interval 0 / vrrp_gna_interval 0 are out of range and ignored', () => {
    expect(brief(check('garp-interval-zero.conf').diagnostics)).toEqual(['W:invalid-value:5', 'W:invalid-value:6']);
    const { garp } = run('garp-interval-zero.conf').config.instances.VI_GARP!;
    expect(garp.intervalMs).toBe(0);
    expect(garp.gnaIntervalMs).toBe(0);
  });

  it('an instance without VIP: a warning under VRRPv2, an error under VRRPv3 (keepalived refuses it)', () => {
    expect(brief(check('no-vip.conf').diagnostics)).toEqual(['W:missing-keyword:4']);
    expect(brief(check('no-vip-v3.conf').diagnostics)).toEqual(['E:missing-keyword:3']);
  });

  it('unicast_src_ip without peers: a warning, and the runtime sends multicast from that address', () => {
    expect(brief(check('unicast-src-no-peers.conf').diagnostics)).toEqual(['W:keepalived-differs:10']);
    const inst = run('unicast-src-no-peers.conf').config.instances.VI_UCAST!;
    expect(inst.transport).toEqual({ kind: 'multicast', dstIp: '224.0.0.18', srcIp: '192.0.2.1' });
    const plan = planInstance(inst);
    expect(plan.socket).toMatchObject({ family: 4, ifname: 'eth0', multicast: true, sourceAddress: '192.0.2.1' });
    expect(plan.destinations).toEqual(['224.0.0.18']);
  });

  it('protocol on a firewall-mark service and "gw" in a route: said as keepalived says them', () => {
    const text = 'vrrp_instance V {\n  interface eth0\n  virtual_router_id 9\n  virtual_ipaddress {\n    192.0.2.9\n  }\n  virtual_routes {\n    0.0.0.0/0 gw 192.0.2.254\n  }\n}\nvirtual_server fwmark 9 {\n  protocol TCP\n  real_server 192.0.2.10 0 {\n  }\n}\n';
    const parsed = parseKeepalivedConf({ text }, { file: '/k.conf', fs: memoryConfigFs({}) });
    const converted = convertToSpec(parsed.tree, { file: '/k.conf' });
    expect(brief([...parsed.diagnostics, ...converted.diagnostics])).toEqual(['I:deprecated:8', 'W:keepalived-differs:12']);
  });

  it("tracking the instance's own interface: a warning, and that line is dropped", () => {
    expect(brief(check('track-own-interface.conf').diagnostics)).toEqual(['W:keepalived-differs:11']);
    expect(run('track-own-interface.conf').config.instances.VI_TRACK!.trackInterfaces).toEqual([{ interface: 'eth1', weight: -20, reverse: false }]);
  });
});

describe('names that collide with JavaScript object internals', () => {
  it('constructor/hasOwnProperty/__proto__/toString are unknown keywords; a track_script "valueOf" and an instance "constructor" are refused by name, never taken for object members or dropped', () => {
    const r = check('prototype-names.conf');
    expect(brief(r.diagnostics)).toEqual(['E:unknown-keyword:8', 'E:unknown-keyword:9', 'E:unknown-keyword:10', 'E:unknown-keyword:11', 'E:spec-invalid:25', 'E:spec-invalid:28']);
    expect(r.diagnostics[4]!.message).toMatch(/trackScripts\[0\]\.name: .*reserved.*\[SHAPE_RESERVED_NAME\]/);
    expect(r.diagnostics[5]!.message).toContain('invalid name "constructor"');
    expect(r.diagnostics.some((d) => d.message.includes('undefined'))).toBe(false);
  });

  it('an instance named __proto__ is named in an error instead of vanishing', () => {
    const r = check('proto-instance.conf');
    expect(brief(r.diagnostics)).toEqual(['E:invalid-value:4']);
    expect(r.diagnostics[0]!.message).toContain('"__proto__"');
  });
});

describe('diagnostics land on the faulty keyword', () => {
  it('a spec-level problem is reported on the line that set the value', () => {
    expect(brief(check('locations.conf').diagnostics)).toEqual(['E:spec-invalid:19']);
  });

  it('no diagnostic of any fixture lands on a comment, a blank line or line 0', () => {
    const seedDir = resolve(DIR, '..', 'seed-configs');
    const files = [...readdirSync(DIR).map((f) => resolve(DIR, f)), ...readdirSync(seedDir).map((f) => resolve(seedDir, f))].filter((f) => f.endsWith('.conf'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const d of checkFile(file, { configId: 'lb1' }).diagnostics) {
        if (d.file !== file || d.code === 'unicode-space') continue;
        const text = (lines[d.line - 1] ?? '').replace(/[#!].*$/, '').trim();
        expect(text, `${file}:${d.line}: ${d.message}`).not.toBe('');
      }
    }
  });
});
