/**
 * vigil import of keepalived.conf files: one file per director merged into one cluster spec,
 * node-local values kept per director, every disagreement located in both files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFinding, type Finding } from './findings.ts';
import { chooseDirectorNames, importKeepalived, toResourceName } from './keepalived.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const fx = (p: string) => join(repo, 'test', 'fixtures', 'import', p);
const at = (f: Finding) => f.locations.map((l) => `${l.file.split('/').slice(-2).join('/')}:${l.line}`);
const tmp = mkdtempSync(join(tmpdir(), 'vigil-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vigil import: a consistent pair', () => {
  const r = importKeepalived({ files: [fx('pair-ok/lb1.conf'), fx('pair-ok/lb2.conf')] });

  it('imports with no error or warning, directors named by router_id', () => {
    expect(r.findings.filter((f) => f.severity !== 'info').map(formatFinding)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.directors).toEqual(['lb1', 'lb2']);
    expect(r.validSpec).toBeDefined();
  });

  it('keeps what both files agree on once and what differs per director', () => {
    const web = (r.spec.vrrpInstances as Record<string, Record<string, unknown>>).VI_WEB!;
    expect(web).toMatchObject({ virtualRouterId: 51, priority: 150, state: 'MASTER', interface: 'eth0', auth: { type: 'PASS', password: 's3cret' }, trackScripts: [{ name: 'chk_nginx' }] });
    expect(web.directors).toEqual({ lb1: { unicastSrcIp: '192.0.2.11' }, lb2: { priority: 100, state: 'BACKUP', unicastSrcIp: '192.0.2.12' } });
    // Each file lists the other; the spec lists every member once.
    expect(web.unicastPeers).toEqual([{ address: '192.0.2.11' }, { address: '192.0.2.12' }]);
    expect(web.members).toBeUndefined();
    expect(Object.keys(r.spec.vrrpScripts as object)).toEqual(['chk_nginx']);
    expect((r.spec.syncGroups as Record<string, { group: string[] }>).VG_1!.group).toEqual(['VI_WEB', 'VI_GW']);
    expect((r.spec.virtualServers as unknown[]).length).toBe(1);
    expect(r.spec.directors).toEqual({ lb1: { routerId: 'lb1' }, lb2: { routerId: 'lb2' } });
  });

  it('one file alone says its unicast peers are not directors of the cluster, as a warning with the fix', () => {
    const one = importKeepalived({ files: [fx('pair-ok/lb1.conf')] });
    const unicast = one.findings.filter((f) => f.code.startsWith('FLEET_UNICAST_PEER_NOT_MEMBER'));
    expect(unicast.length).toBeGreaterThan(0);
    expect(unicast.every((f) => f.severity === 'warning' && f.hint?.includes('vigil import lb1.conf lb2.conf'))).toBe(true);
    expect(one.ok).toBe(true);
  });
});

describe('vigil import: files that disagree', () => {
  const r = importKeepalived({ files: [fx('pair-disagree/lb1.conf'), fx('pair-disagree/lb2.conf')] });
  const byCode = (code: string) => r.findings.filter((f) => f.code === code);

  it('is not importable, and says why at both places', () => {
    expect(r.ok).toBe(false);
    // virtual_router_id 52 (lb2 line 9) against 51 (lb1 line 9).
    expect(byCode('FLEET_VRID_MISMATCH').map(at)).toEqual([['pair-disagree/lb2.conf:9', 'pair-disagree/lb1.conf:9']]);
    // notify_master: a value the spec holds once for the instance (line 15 in each file).
    const notify = byCode('import-disagreement');
    expect(notify.map(at)).toEqual([['pair-disagree/lb1.conf:15', 'pair-disagree/lb2.conf:15']]);
    expect(notify[0]!.message).toContain('notify_*');
    // Equal priorities: the election would be decided by address.
    expect(byCode('FLEET_PRIORITY_TIE').map(at)).toEqual([['pair-disagree/lb1.conf:10', 'pair-disagree/lb2.conf:10']]);
    // A virtual server only one director has.
    expect(byCode('import-only-some').map((f) => [f.severity, ...at(f)])).toEqual([['warning', 'pair-disagree/lb1.conf:18']]);
  });

  it('names directors after their files when router_ids collide', () => {
    expect(r.directors).toEqual(['lb1', 'lb2']);
    expect(byCode('import-director-name').length).toBe(2);
  });

  it('represents the disagreement it can (a per-director override the fleet rules then reject)', () => {
    const vi = (r.spec.vrrpInstances as Record<string, { virtualRouterId: number; directors: Record<string, unknown> }>).VI_1!;
    expect(vi.virtualRouterId).toBe(51);
    expect(vi.directors.lb2).toMatchObject({ virtualRouterId: 52, state: 'BACKUP' });
  });
});

describe('vigil import: reading the files', () => {
  it('follows includes and locates findings in the included file', () => {
    for (const [d, prio, vrid] of [['lb1', 150, 51], ['lb2', 100, 61]] as const) {
      mkdirSync(join(tmp, `${d}.d`), { recursive: true });
      writeFileSync(join(tmp, `${d}.conf`), `global_defs {\n  router_id ${d}\n}\ninclude ${join(tmp, `${d}.d`)}/*.conf\n`);
      writeFileSync(join(tmp, `${d}.d`, 'vi.conf'), `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`);
    }
    const r = importKeepalived({ files: [join(tmp, 'lb1.conf'), join(tmp, 'lb2.conf')] });
    expect(r.directors).toEqual(['lb1', 'lb2']);
    const vrid = r.findings.filter((f) => f.code === 'FLEET_VRID_MISMATCH');
    expect(vrid.map((f) => f.locations.map((l) => `${l.file.slice(tmp.length + 1)}:${l.line}`))).toEqual([['lb2.d/vi.conf:3', 'lb1.d/vi.conf:3']]);
  });

  it('names directors: given names, router_id, file name; control-plane names only', () => {
    expect(toResourceName('LVS_DEVEL')).toBe('lvs-devel');
    expect(toResourceName('lb1.example.com')).toBe('lb1-example-com');
    expect(toResourceName('__')).toBeUndefined();
    expect(chooseDirectorNames(['/etc/a.conf', '/etc/b.conf'], ['LB_1', 'LB_2']).names).toEqual(['lb-1', 'lb-2']);
    expect(chooseDirectorNames(['/x/lb-a.conf', '/y/lb-b.conf'], ['SAME', 'SAME']).names).toEqual(['lb-a', 'lb-b']);
    expect(chooseDirectorNames(['/x/k.conf', '/y/k.conf'], [undefined, undefined]).names).toEqual(['k', 'k-2']);
    expect(chooseDirectorNames(['a', 'b'], [], ['x', 'y']).names).toEqual(['x', 'y']);
  });

  it('a missing file is a finding at that file, not a crash', () => {
    const r = importKeepalived({ files: [join(tmp, 'nope.conf')] });
    expect(r.ok).toBe(false);
    expect(r.findings.some((f) => f.severity === 'error' && f.locations[0]!.file.endsWith('nope.conf'))).toBe(true);
  });
});
