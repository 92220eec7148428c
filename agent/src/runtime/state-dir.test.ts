import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHost, FakeSegment } from '../os/fake/index.ts';
import { StateDir } from './state-dir.ts';

describe('StateDir VIP record', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const world = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-state-'));
    dirs.push(dir);
    const host = new FakeHost('lb1');
    host.attach(new FakeSegment(), { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    const warnings: string[] = [];
    return { dir, host, warnings, state: new StateDir(dir, (m) => warnings.push(m)) };
  };

  it('removes the VIPs a crashed agent recorded and that are still there', async () => {
    const w = world();
    await w.host.addresses.add({ ifname: 'eth0', address: '192.0.2.100', prefixLength: 24 });
    w.state.recordVips([{ ifname: 'eth0', address: '192.0.2.100', prefixLength: 24 }, { ifname: 'eth0', address: '192.0.2.101', prefixLength: 24 }]);
    expect(await w.state.cleanLeftovers(w.host.addresses)).toEqual([{ ifname: 'eth0', address: '192.0.2.100', prefixLength: 24 }]);
    expect(JSON.parse(readFileSync(w.state.vipsFile, 'utf8'))).toEqual([]);
    expect(w.warnings).toEqual([]);
  });

  for (const [what, text] of [['torn JSON', '[{"ifname":"eth0"'], ['not a list', '{}'], ['an entry without an address', '[{"ifname":"eth0","prefixLength":24}]']] as const) {
    it(`a corrupt record (${what}) is reported, set aside and replaced; nothing is removed`, async () => {
      const w = world();
      await w.host.addresses.add({ ifname: 'eth0', address: '192.0.2.100', prefixLength: 24 });
      writeFileSync(w.state.vipsFile, text);
      expect(await w.state.cleanLeftovers(w.host.addresses)).toEqual([]);
      expect(w.warnings).toHaveLength(1);
      expect(w.warnings[0]).toMatch(/VIP record .* is corrupt .*moved to .*\.corrupt/);
      expect(readFileSync(`${w.state.vipsFile}.corrupt`, 'utf8')).toBe(text);
      expect(JSON.parse(readFileSync(w.state.vipsFile, 'utf8'))).toEqual([]);
      const r = await w.host.addresses.list('eth0');
      expect(r.ok && r.value.some((a) => a.address === '192.0.2.100')).toBe(true);
      expect(existsSync(w.state.vipsFile)).toBe(true);
    });
  }
});
