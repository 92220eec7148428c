/**
 * vigil export writes keepalived.conf that real keepalived 2.2.7 accepts: for every fixture and
 * sample (agent/src/cli/export/roundtrip.test.ts lists them), the files exported per director are
 * checked with `keepalived -t` inside a network namespace that has every interface they name (as
 * on the director). Every export of a spec that passes Vigil's validation must pass keepalived's;
 * a spec Vigil rejects must be one keepalived rejects too (keepalived and Vigil agree on what is
 * broken), with the same files keepalived rejected before the import.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterSpec, validateClusterSpec } from '../../schema/src/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeepalivedConf } from '../../agent/src/cli/export/keepalived-conf.ts';
import { fixtureGroups } from '../support/keepalived-fixtures.ts';
import { importKeepalived } from '../../agent/src/cli/import/keepalived.ts';
import { requireCapabilities } from '../support/capabilities.ts';
import { createLab, type NetnsLab } from '../support/netns.ts';

const run = requireCapabilities('keepalived -t on exported files', ['root', 'netns', 'keepalived']);

/** Every interface name the file uses (instances, VIP dev, tracking, routes, checks). */
function interfacesOf(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(?:interface|dev|bind_if|default_interface|lvs_sync_daemon)\s+([A-Za-z0-9_.@-]{1,15})\b/g)) names.add(m[1]!);
  for (const block of text.matchAll(/track_interface \{\n([\s\S]*?)\n\s*\}/g)) for (const l of block[1]!.split('\n')) names.add(l.trim().split(/\s+/)[0]!);
  names.delete('');
  return [...names].sort();
}

describe.skipIf(!run)('keepalived -t accepts what vigil export writes', () => {
  let lab: NetnsLab;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-export-kt-'));
  const made = new Set<string>(['eth0', 'lo']);
  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const keepalivedT = async (file: string) => {
    const ns = lab.hosts[0]!.ns;
    // keepalived -t refuses a config naming an interface the host does not have.
    for (const ifname of interfacesOf((await import('node:fs')).readFileSync(file, 'utf8'))) {
      if (made.has(ifname)) continue;
      // A bridge: this host's kernel has no dummy links, and keepalived only needs the name to exist.
      await lab.ip(ns, 'link', 'add', ifname, 'type', 'bridge');
      await lab.ip(ns, 'link', 'set', ifname, 'up');
      made.add(ifname);
    }
    return lab.exec(ns, 'keepalived', ['-t', '-f', file, '-n', '-l', '-D'], { timeoutMs: 20_000 });
  };

  const groups = fixtureGroups();

  /** keepalived's messages without their "(file: Line N)" places. */
  const messages = (out: string) => new Set(out.split('\n').map((l) => l.replace(/\([^)]*: Line \d+\)\s*/g, '').trim()).filter(Boolean));
  const SCRIPT_POLICY = 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.';

  it.each(groups)('$name', async ({ name, files }) => {
    const r = importKeepalived({ files });
    const parsed = parseClusterSpec(r.spec);
    if (!parsed.ok) return; // nothing to export (roundtrip.test.ts checks it is reported)
    const valid = validateClusterSpec(r.spec).ok;
    const dir = mkdtempSync(join(tmp, 'g-'));
    for (const [i, d] of r.directors.entries()) {
      const path = join(dir, `${d}.conf`);
      writeFileSync(path, exportKeepalivedConf(parsed.spec, d).text);
      const k = await keepalivedT(path);
      const said = `${name} / ${d}: keepalived -t exit ${k.code}\n${k.stdout}${k.stderr}`;
      if (!valid) {
        // Vigil rejected the spec: the import said so, unless the only complaint is that one
        // file alone names unicast peers that are not (yet) directors of the cluster, which the
        // import keeps as a warning: that export must still satisfy keepalived -t below.
        const onlyPeers = validateClusterSpec(r.spec).issues.every((i) => i.code === 'FLEET_UNICAST_PEER_NOT_MEMBER' || i.code === 'FLEET_UNICAST_MEMBER_NOT_PEER');
        expect(r.ok, said).toBe(r.directors.length === 1 && onlyPeers);
        if (!r.ok) continue;
      }
      if (k.code === 0) continue;
      const got = messages(`${k.stdout}${k.stderr}`);
      // keepalived's policy on scripts run as root (-t exits 6): a config it runs, with a warning,
      // as it does the original (which has the same scripts and no enable_script_security).
      if (k.code === 6 && [...got].every((m) => m === SCRIPT_POLICY)) {
        expect(parsed.spec.global.enableScriptSecurity, said).toBe(false);
        continue;
      }
      // Anything else keepalived says of the export it says of the original file too (its own
      // samples warn about untracked routes, for one): the export adds no complaint.
      const original = await keepalivedT(files[i]!);
      const before = messages(`${original.stdout}${original.stderr}`);
      expect(original.code, `${said}\noriginal: exit ${original.code}`).not.toBe(0);
      expect([...got].filter((m) => !before.has(m) && m !== SCRIPT_POLICY), said).toEqual([]);
    }
  });
});
