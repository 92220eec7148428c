/**
 * Every seed configuration (../shared/fixtures/seed-configs, the articles' keepalived.conf files
 * with their real defects) either converts to a valid ClusterSpec, or fails with exactly its known
 * defects, each at its line. Codes: E = error, W = warning; `unsupported` warnings and `info`
 * notes (lb_algo/lb_kind old names) are checked separately.
 *
 * keepalived 2.2.7's own verdicts (`keepalived -t`, NBSP normalised, in a netns that has the
 * interfaces) agree line for line on every `//` error, with two deliberate differences:
 * `persistence_timeout 0` and `nb_get_retry` are errors for keepalived, warnings here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterSpec } from '#schema';
import { describe, expect, it } from 'vitest';
import { checkFile } from '../cli/check.ts';
import { convertToSpec } from './convert.ts';
import { parseKeepalivedConf } from './parser.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// A copy of ../shared/fixtures/seed-configs kept in the repo, so a clean clone tests the same files.
const dir = resolve(repoRoot, 'test', 'fixtures', 'seed-configs');

const expectations: Record<string, { valid: boolean; expected: string[] }> = {
  // weight line broken by prose (40), prose lines (16, 36, 37), two unclosed blocks (29, 47),
  // vrrp_strict with authentication (21), nb_get_retry (43, 51).
  'heartbeat-article-keepalived.conf': { valid: false, expected: ['W:unicode-space:1', 'E:unknown-keyword:16', 'E:spec-invalid:21', 'W:spec-invalid:29', 'E:unclosed-block:29', 'E:unknown-keyword:36', 'E:unknown-keyword:37', 'E:invalid-value:40', 'W:deprecated:43', 'E:unclosed-block:47', 'W:deprecated:51'] },
  'lab1-director1.conf': { valid: false, expected: ['W:unicode-space:2', 'W:slash-comment:8', 'W:slash-comment:9', 'E:slash-comment:11', 'W:slash-comment:12', 'W:slash-comment:13', 'W:slash-comment:14', 'W:slash-comment:15', 'W:slash-comment:16', 'E:slash-comment:17', 'E:slash-comment:22'] },
  // keepalived -t accepts this one (exit 0): `//` only after arguments it ignores.
  'lab1-director2.conf': { valid: true, expected: ['W:unicode-space:2', 'W:slash-comment:9', 'W:slash-comment:13', 'W:slash-comment:14'] },
  'lab2-director1.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:17'] },
  'lab2-director2.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:17'] },
  'lab3-director1.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:4', 'W:slash-comment:6', 'E:slash-comment:7', 'W:slash-comment:8', 'W:slash-comment:9', 'E:slash-comment:24'] },
  'lab3-director2.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:4', 'E:slash-comment:24'] },
  'lab4-lvs-dr-director1.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:15', 'E:slash-comment:21', 'W:invalid-value:22', 'W:deprecated:32'] },
  'lab4-lvs-dr-director2.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:22', 'W:invalid-value:23', 'W:deprecated:33'] },
  'lab5-lvs-nat-syncgroup-director1.conf': { valid: false, expected: ['E:unknown-keyword:1', 'W:unicode-space:2', 'E:slash-comment:2', 'E:slash-comment:4', 'E:slash-comment:6', 'W:slash-comment:14', 'E:slash-comment:21', 'W:slash-comment:28', 'E:slash-comment:35', 'E:slash-comment:42', 'W:invalid-value:43', 'W:deprecated:53'] },
  'lab5-lvs-nat-syncgroup-director2.conf': { valid: false, expected: ['E:unknown-keyword:1', 'W:unicode-space:2', 'E:slash-comment:2', 'W:slash-comment:14', 'E:slash-comment:21', 'W:slash-comment:28', 'E:slash-comment:35', 'W:invalid-value:43', 'W:deprecated:53'] },
  'lab6-nginx-track-director1.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2'] },
  'lab6-nginx-track-director2.conf': { valid: false, expected: ['W:unicode-space:2', 'E:slash-comment:2'] },
  'simple-vip.conf': { valid: true, expected: [] },
  // autp_pass (38), "lvs sync daemon interface eth0" (22), nb_get_retry (76, 91), plus what
  // keepalived also rejects: virtual_server never closed (58), nat_mask (63).
  // track_interface of the instance's own interface (26/27): keepalived drops it with a warning, so does Vigil.
  // The no-break spaces of line 1 are inside a comment: the warning names the first one that matters (line 3).
  'single-public-ip-lvs-dr-backup.conf': { valid: false, expected: ['W:unicode-space:3', 'E:unknown-keyword:22', 'W:keepalived-differs:26', 'W:missing-keyword:36', 'E:unknown-keyword:38', 'E:unclosed-block:58', 'E:unknown-keyword:63', 'W:deprecated:76', 'W:deprecated:91'] },
  'single-public-ip-lvs-dr-master.conf': { valid: false, expected: ['W:unicode-space:3', 'E:unknown-keyword:22', 'W:keepalived-differs:27', 'W:missing-keyword:37', 'E:unknown-keyword:39', 'E:invalid-value:47', 'E:unclosed-block:59', 'E:unknown-keyword:64', 'W:deprecated:77', 'W:deprecated:92'] },
};

if (!existsSync(dir)) throw new Error(`seed configs missing: ${dir}`);

describe('seed-configs fixtures', () => {
  it('has an expectation for every fixture file', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expectations).sort());
  });

  for (const [file, want] of Object.entries(expectations)) {
    it(`${file}: ${want.valid ? 'valid' : 'exactly its known defects'}`, () => {
      const result = checkFile(resolve(dir, file));
      const got = result.diagnostics
        .filter((d) => d.severity !== 'info' && d.code !== 'unsupported')
        .map((d) => `${d.severity === 'error' ? 'E' : 'W'}:${d.code}:${d.line}`);
      expect(got).toEqual(want.expected);
      expect(result.valid).toBe(want.valid);
      for (const d of result.diagnostics) expect(d.file).toBe(resolve(dir, file));
    });
  }

  it('names the typos with a did-you-mean hint', () => {
    const hints = (f: string) => checkFile(resolve(dir, f)).diagnostics.map((d) => d.hint ?? '');
    expect(hints('lab5-lvs-nat-syncgroup-director1.conf')).toContain('did you mean "global_defs"?');
    expect(hints('single-public-ip-lvs-dr-master.conf')).toContain('did you mean "auth_pass"?');
    expect(hints('single-public-ip-lvs-dr-master.conf')).toContain('did you mean "lvs_sync_daemon_interface eth0"?');
    expect(hints('lab1-director1.conf').filter((h) => h.includes('"//" is not a comment')).length).toBe(10);
  });

  it('names unsupported keepalived keywords instead of calling them syntax errors', () => {
    const unsupported = checkFile(resolve(dir, 'heartbeat-article-keepalived.conf')).diagnostics.filter((d) => d.code === 'unsupported');
    expect(unsupported.map((d) => d.message.match(/"([^"]+)"/)?.[1])).toEqual(['notification_email', 'notification_email_from', 'smtp_server', 'smtp_connect_timeout']);
    expect(unsupported.every((d) => d.severity === 'warning')).toBe(true);
  });

  it('converts the valid fixtures to specs that pass parseClusterSpec', () => {
    for (const file of ['simple-vip.conf', 'lab1-director2.conf']) {
      const path = resolve(dir, file);
      const { tree } = parseKeepalivedConf({ path });
      const { spec, director } = convertToSpec(tree, { file: path });
      const parsed = parseClusterSpec(spec);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (!parsed.ok) continue;
      const inst = Object.values(parsed.spec.vrrpInstances)[0]!;
      expect(parsed.spec.directors[director]).toBeDefined();
      expect(inst.virtualIpAddresses.length).toBe(1);
    }
    const simple = convertToSpec(parseKeepalivedConf({ path: resolve(dir, 'simple-vip.conf') }).tree, { file: 'simple-vip.conf' });
    expect(simple.director).toBe('ka01');
    expect(simple.spec.vrrpInstances).toMatchObject({
      VI_1: { state: 'MASTER', priority: 150, interface: 'eth0', virtualRouterId: 50, advertIntervalMs: 1000, auth: { type: 'PASS', password: '1111' }, virtualIpAddresses: [{ address: '10.0.0.3' }] },
    });
  });

  it('converts the LVS fixtures despite their defects into a valid spec shape', () => {
    const path = resolve(dir, 'lab4-lvs-dr-director1.conf');
    const { spec } = convertToSpec(parseKeepalivedConf({ path }).tree, { file: path });
    const parsed = parseClusterSpec(spec);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const vs = parsed.spec.virtualServers[0]!;
    expect(vs).toMatchObject({ address: '192.168.10.131', port: 80, scheduler: 'rr', method: 'DR', protocol: 'TCP', delayLoopMs: 6000 });
    expect(vs.realServers.map((r) => r.checkers[0]!.type)).toEqual(['HTTP_GET', 'TCP_CHECK', 'TCP_CHECK']);
    expect(vs.realServers[0]!.checkers[0]).toMatchObject({ retry: 3, delayBeforeRetryMs: 1000, connectTimeoutMs: 1000, urls: [{ path: '/', statusCodes: [200] }] });
  });
});
