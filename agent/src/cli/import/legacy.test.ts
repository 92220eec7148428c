/**
 * vigil import --ldirectord / --haresources: the seed articles' Heartbeat + ldirectord files
 * import, ldirectord's own defaults are written out, and what has no equivalent is reported at
 * its line with the replacement.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterSpec } from '#schema';
import { describe, expect, it } from 'vitest';
import { exportKeepalivedConf } from '../export/keepalived-conf.ts';
import { readHeartbeat } from './heartbeat.ts';
import { importLegacy } from './legacy.ts';
import { readLdirectord } from './ldirectord.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const input = (p: string) => {
  const file = join(repo, 'test', 'fixtures', p);
  return { file, text: readFileSync(file, 'utf8') };
};
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index into the imported spec

describe('the seed articles\' Heartbeat + ldirectord setup', () => {
  const r = importLegacy({ ldirectord: input('seed-heartbeat/ldirectord.cf.txt'), heartbeat: [input('seed-heartbeat/ha.cf-and-haresources.txt')] });
  const spec = r.spec as Obj;

  it('imports: no error, a valid spec', () => {
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(r.ok).toBe(true);
    expect(parseClusterSpec(r.spec).ok).toBe(true);
  });

  it('ha.cf nodes are the directors, the haresources line one instance with the preferred node at 150', () => {
    expect(r.directors).toEqual(['server2', 'server3']);
    const vi = spec.vrrpInstances.VI_1;
    expect(vi).toMatchObject({ virtualRouterId: 51, interface: 'eth0', advertIntervalMs: 2000, virtualIpAddresses: [{ address: '172.25.44.144/24' }], priority: 150, state: 'MASTER' });
    expect(vi.directors).toEqual({ server3: { priority: 100, state: 'BACKUP' } });
    expect(vi.nopreempt).toBeUndefined(); // auto_failback on
  });

  it('the mysqld resource runs on takeover and stops on release; ping nodes move priority; initdead delays the start', () => {
    const vi = spec.vrrpInstances.VI_1;
    expect(vi.notify).toEqual({ master: '/etc/init.d/mysqld start', backup: '/etc/init.d/mysqld stop', fault: '/etc/init.d/mysqld stop', stop: '/etc/init.d/mysqld stop' });
    expect(spec.vrrpScripts.chk_ping_nodes).toMatchObject({ script: '/bin/ping -c 1 -W 1 172.25.44.251', weight: -60 });
    expect(vi.trackScripts).toEqual([{ name: 'chk_ping_nodes' }]);
    expect(spec.global.startupDelayMs).toBe(60_000);
  });

  it('ldirectord\'s virtual service with its defaults written out', () => {
    const [vs] = spec.virtualServers;
    expect(vs).toMatchObject({ address: '172.25.44.144', port: 80, protocol: 'TCP', scheduler: 'rr', method: 'DR', inhibitOnFailure: true, sorryServer: { address: '127.0.0.1', port: 80, method: 'DR' } });
    expect(vs.realServers.map((s: Obj) => s.address)).toEqual(['172.25.44.44', '172.25.44.55']);
    expect(vs.realServers[0].checkers).toEqual([{ type: 'HTTP_GET', connectTimeoutMs: 30_000, connectPort: 80, delayLoopMs: 10_000, retry: 0, delayBeforeRetryMs: 10_000, urls: [{ path: '/index.html' }] }]);
  });

  it('every line is accounted for: shell lines copied with the files are reported, each mapping is said at its line', () => {
    const lines = (code: string) => r.findings.filter((f) => f.code === code).map((f) => `${f.locations[0]!.file.split('/').pop()}:${f.locations[0]!.line}`);
    expect(lines('heartbeat-not-a-directive')).toEqual(['ha.cf-and-haresources.txt:1', 'ha.cf-and-haresources.txt:14', 'ha.cf-and-haresources.txt:16']);
    expect(lines('heartbeat-no-equivalent')).toEqual(['ha.cf-and-haresources.txt:3', 'ha.cf-and-haresources.txt:4', 'ha.cf-and-haresources.txt:6', 'ha.cf-and-haresources.txt:13', 'ha.cf-and-haresources.txt:18']);
    expect(lines('heartbeat-mapped').length).toBeGreaterThanOrEqual(8);
  });

  it('exports to a keepalived.conf per director that imports back', () => {
    const parsed = parseClusterSpec(r.spec);
    if (!parsed.ok) throw new Error('invalid');
    const text = exportKeepalivedConf(parsed.spec, 'server2').text;
    expect(text).toContain('notify_master "/etc/init.d/mysqld start"');
    expect(text).toContain('lvs_sched rr');
    expect(text).toContain('inhibit_on_failure');
  });
});

describe('ldirectord.cf mappings', () => {
  const r = readLdirectord(input('ldirectord/services.cf'));
  const vs = r.spec.virtualServers as Obj[];
  const finding = (code: string, line: number) => r.findings.find((f) => f.code === code && f.locations[0]!.line === line);

  it('negotiate over http: HTTP_GET with request as path, receive as regex, virtualhost; per-real request/receive', () => {
    expect(vs[0]).toMatchObject({ scheduler: 'lc', persistenceTimeoutMs: 300_000, persistenceGranularity: '255.255.255.0', inhibitOnFailure: false });
    expect(vs[0]!.realServers[0].checkers[0]).toMatchObject({ type: 'HTTP_GET', virtualhost: 'www.example.com', urls: [{ path: '/health', regex: 'OK' }], retry: 2, delayLoopMs: 5000 });
    expect(vs[0]!.realServers[1].checkers[0].urls).toEqual([{ path: '/alive.html', regex: 'I am alive' }]);
    expect(vs[0]!.realServers.map((s: Obj) => s.weight)).toEqual([2, 1]);
  });

  it('mysql has no keepalived checker: a connect check, and the MISC_CHECK that would check it, at the service line', () => {
    expect(vs[1]!.realServers.map((s: Obj) => [s.address, s.checkers[0].type])).toEqual([['10.0.0.21', 'TCP_CHECK'], ['10.0.0.22', 'TCP_CHECK']]);
    expect(vs[1]!.method).toBe('NAT');
    const f = finding('ldirectord-no-equivalent', 26)!;
    expect(f.severity).toBe('warning');
    expect(f.hint).toContain('MISC_CHECK { misc_path "/usr/bin/mysqladmin');
  });

  it('external: MISC_CHECK with ldirectord\'s four arguments; fallbackcommand: quorum_down/up', () => {
    expect(vs[2]!.realServers[0].checkers[0]).toMatchObject({ type: 'MISC_CHECK', miscPath: '/usr/local/bin/check-app 192.0.2.100 8080 10.0.0.31 8080', miscTimeoutMs: 3000 });
    expect(vs[2]).toMatchObject({ quorumDown: '/usr/local/bin/page-oncall start', quorumUp: '/usr/local/bin/page-oncall stop' });
  });

  it('port 53 is UDP and a connect check is a ping (as ldirectord); a firewall mark; the default scheduler wrr', () => {
    expect(vs[3]).toMatchObject({ protocol: 'UDP', scheduler: 'wrr' });
    expect(vs[3]!.realServers[0].checkers[0].type).toBe('PING_CHECK');
    expect(vs[4]).toMatchObject({ fwmark: 7, inhibitOnFailure: true });
  });

  it('reports e-mail alerts, ignored globals and a stray line by line', () => {
    expect(finding('ldirectord-no-equivalent', 7)?.severity).toBe('warning');
    expect(finding('ldirectord-no-equivalent', 4)?.severity).toBe('info');
    expect(finding('ldirectord-not-a-directive', 47)?.severity).toBe('warning');
    expect(r.findings.filter((f) => f.code === 'ldirectord-no-equivalent' && f.locations[0]!.line === 7)).toHaveLength(1);
  });

  it('every virtual server is a valid spec virtual server', () => {
    const parsed = parseClusterSpec({ version: 1, virtualServers: vs });
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
  });
});

describe('Heartbeat files, one by one or bad', () => {
  it('haresources without ha.cf: the preferred node only, with a warning saying to give ha.cf', () => {
    const r = readHeartbeat([{ file: 'haresources', text: 'lb1.example.com 192.0.2.10/24/eth0 Filesystem::/dev/drbd0::/data::ext4 httpd\n' }]);
    expect(r.directors).toEqual(['lb1']);
    expect(r.findings.some((f) => f.code === 'heartbeat-one-node' && f.hint?.includes('--ha-cf'))).toBe(true);
    const vi = (r.spec.vrrpInstances as Obj).VI_1;
    expect(vi.notify.master).toBe("/bin/sh -c '/etc/ha.d/resource.d/Filesystem /dev/drbd0 /data ext4 start && /etc/init.d/httpd start'");
    expect(vi.notify.backup).toBe("/bin/sh -c '/etc/init.d/httpd stop; /etc/ha.d/resource.d/Filesystem /dev/drbd0 /data ext4 stop'");
  });

  it('auto_failback off: nopreempt with BACKUP everywhere; ucast: unicast with a warning', () => {
    const r = readHeartbeat([{ file: 'ha.cf', text: 'node a\nnode b\nauto_failback off\nucast eth1 10.0.0.2\n' }, { file: 'haresources', text: 'a 10.0.0.100\n' }]);
    const vi = (r.spec.vrrpInstances as Obj).VI_1;
    expect(vi).toMatchObject({ nopreempt: true, interface: 'eth1', unicastPeers: [{ address: '10.0.0.2' }] });
    expect(vi).toMatchObject({ priority: 150, state: 'BACKUP' });
    expect(vi.directors).toEqual({ b: { priority: 100 } });
    expect(r.findings.some((f) => f.code === 'heartbeat-unicast')).toBe(true);
  });

  it('a resource with a quote is refused at its column, never put in a shell command', () => {
    const r = readHeartbeat([{ file: 'haresources', text: "a 10.0.0.100/24/eth0 evil::x'y\n" }]);
    const f = r.findings.find((x) => x.severity === 'error')!;
    expect(f.locations[0]).toMatchObject({ line: 1, column: 22 });
    expect((r.spec.vrrpInstances as Obj).VI_1.notify).toBeUndefined();
  });

  it('no interface anywhere is an error naming --interface', () => {
    const r = importLegacy({ heartbeat: [{ file: 'haresources', text: 'a 10.0.0.100\n' }] });
    expect(r.ok).toBe(false);
    expect(r.findings.find((f) => f.code === 'heartbeat-no-interface')?.hint).toContain('--interface');
    expect(importLegacy({ heartbeat: [{ file: 'haresources', text: 'a 10.0.0.100\n' }] }, { interface: 'eth0', vrid: 77 }).findings.some((f) => f.code === 'heartbeat-no-interface')).toBe(false);
  });
});
